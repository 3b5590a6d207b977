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
}
