import Glibc

extension Service {
    /// Runs blocking work on a thread of its own and waits for it without blocking the
    /// main actor, so ``terminate()`` and ``reload()`` keep running.
    ///
    /// The closure gets the worker's ``StopToken``; it should return soon after
    /// `isStopRequested` turns true. Errors it throws are rethrown here.
    ///
    /// ```swift
    /// override func run() async throws {
    ///     try await runBlocking { token in
    ///         while !token.isStopRequested { print("Doing stuff"); sleep(1) }
    ///     }
    /// }
    /// ```
    ///
    /// - Parameter body: the blocking work; it gets the worker's ``stopToken``.
    /// - Throws: what `body` throws.
    public nonisolated func runBlocking(_ body: @escaping @Sendable (StopToken) throws -> Void) async throws {
        let token = stopToken
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            BlockingThread.start {
                do {
                    try body(token)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// A detached POSIX thread running one closure.
enum BlockingThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread.
    static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed with \(result): the worker is out of threads")
        pthread_detach(thread)
    }
}
