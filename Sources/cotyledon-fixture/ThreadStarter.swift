import Glibc

/// Makes the process multi-threaded, as a `Task` or a Dispatch queue would.
enum ThreadStarter {
    /// Starts a thread that sleeps forever; the kernel lists it once this returns.
    static func startIdleThread() {
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            while true { sleep(3600) }
        }, nil)
    }

    /// Runs `body` once on a new detached thread.
    static func start(_ body: @escaping @Sendable () -> Void) {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        pthread_create(&thread, nil, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, Unmanaged.passRetained(Box(body)).toOpaque())
        pthread_detach(thread)
    }
}
