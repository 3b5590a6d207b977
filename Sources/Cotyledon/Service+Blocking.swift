import Glibc

extension Service {
    /// Runs blocking work on a thread of the worker's pool and waits for it without
    /// blocking the main actor, so ``terminate()`` and ``reload()`` keep running.
    ///
    /// The closure gets the worker's ``StopToken``; it should return soon after
    /// `isStopRequested` turns true. What it returns is returned here, and what it throws
    /// is rethrown here with its type:
    ///
    /// ```swift
    /// override func run() async throws {
    ///     let answer = await runBlocking { _ in
    ///         sleep(1)                      // a blocking call
    ///         return 42
    ///     }
    ///     await runBlocking { token in
    ///         while !token.isStopRequested { print("Doing stuff (\(answer))"); sleep(1) }
    ///     }
    /// }
    /// ```
    ///
    /// The threads are reused: the worker starts its pool at its first call (never in the
    /// master, so never before a fork), a call runs on a free thread of the pool or on a new
    /// one, and a thread idle for 10 seconds ends. At most 64 threads run closures at once;
    /// further calls wait in order for one of them to finish.
    ///
    /// - Parameter body: the blocking work; it gets the worker's ``stopToken``.
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws.
    public nonisolated func runBlocking<Value: Sendable, Failure: Error>(
        _ body: @escaping @Sendable (StopToken) throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let token = stopToken
        return try await BlockingThreadPool.shared.run { () throws(Failure) -> Value in try body(token) }
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
