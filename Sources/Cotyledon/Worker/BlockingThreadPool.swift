import Glibc

/// The threads that run ``Service/runBlocking(_:)`` closures in a worker process.
///
/// A thread is started only when a closure arrives and no thread of the pool is free, up to
/// ``maximumThreads``; further closures wait in order for a thread to come free. A thread
/// that had nothing to run for ``idleTimeout`` ends. The worker's pool (``shared``) is
/// created by its first `runBlocking` call, after the fork: the master never runs service
/// code, so it never holds one of these threads when it forks (ARCHITECTURE.md § Fork safety).
final class BlockingThreadPool: @unchecked Sendable {
    /// The pool of the worker process, created on first use.
    static let shared = BlockingThreadPool(maximumThreads: 64, idleTimeout: .seconds(10))

    /// The most threads the pool runs at once.
    let maximumThreads: Int
    /// How long a thread waits for a closure before it ends.
    let idleTimeout: Duration

    /// A closure to run; what it returns is called once its thread is free again, so the
    /// caller it wakes up finds that thread available for its next closure.
    private typealias Job = () -> () -> Void

    // The state below is guarded by `mutex`; idle threads wait on `wakeup`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeup = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queued: [Job] = []
    private var threads = 0
    private var busy = 0

    /// Creates a pool that has no thread yet.
    ///
    /// - Parameters:
    ///   - maximumThreads: the most threads running at once (at least 1).
    ///   - idleTimeout: how long a thread waits for work before it ends.
    init(maximumThreads: Int, idleTimeout: Duration) {
        precondition(maximumThreads >= 1, "a blocking thread pool needs at least one thread")
        self.maximumThreads = maximumThreads
        self.idleTimeout = idleTimeout
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(wakeup, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    // Every thread holds the pool, so this runs only once they have all ended.
    deinit {
        pthread_cond_destroy(wakeup)
        pthread_mutex_destroy(mutex)
        wakeup.deallocate()
        mutex.deallocate()
    }

    /// What the pool holds now: its threads, those running a closure, the closures waiting.
    var load: (threads: Int, busy: Int, queued: Int) {
        locked { (threads, busy, queued.count) }
    }

    /// Runs `body` on a thread of the pool and returns its result or rethrows its error,
    /// without blocking the calling task's thread.
    func run<Value: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
            submit {
                let result = Result { () throws(Failure) -> Value in try body() }
                return { continuation.resume(returning: result) }
            }
        }
        return try outcome.get()
    }

    private func submit(_ job: @escaping Job) {
        let startsThread = locked {
            queued.append(job)
            guard queued.count > threads - busy, threads < maximumThreads else {
                pthread_cond_signal(wakeup)
                return false
            }
            threads += 1
            return true
        }
        if startsThread {
            BlockingThread.start { [self] in work() }
        }
    }

    /// A thread's life: run the queued closures, wait for more, end after `idleTimeout` without any.
    private func work() {
        pthread_mutex_lock(mutex)
        while true {
            if !queued.isEmpty {
                let job = queued.removeFirst()
                busy += 1
                pthread_mutex_unlock(mutex)
                let resume = job()
                locked { busy -= 1 }
                resume()
                pthread_mutex_lock(mutex)
                continue
            }
            let end = (MonotonicInstant.now + idleTimeout).nanoseconds
            var deadline = timespec(tv_sec: Int(end / 1_000_000_000), tv_nsec: Int(end % 1_000_000_000))
            var timedOut = false
            while queued.isEmpty, !timedOut {
                timedOut = pthread_cond_timedwait(wakeup, mutex, &deadline) == ETIMEDOUT
            }
            if queued.isEmpty {
                threads -= 1
                pthread_mutex_unlock(mutex)
                return
            }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
