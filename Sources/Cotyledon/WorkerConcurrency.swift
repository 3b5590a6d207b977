/// Where a worker runs its Swift tasks (``Service/concurrency``).
///
/// Either way the main actor (``Service/run()``, ``Service/terminate()``,
/// ``Service/reload()``) runs on the worker's main thread, in its event loop, and
/// ``Service/runBlocking(_:)`` closures run on threads of their own.
public enum WorkerConcurrency: Sendable, Hashable {
    /// Every task runs on the worker's main thread, in its event loop: actors, task groups,
    /// `Task.detached` and timers (`Task.sleep`) included. The worker has one thread (plus
    /// those of `runBlocking` while it is busy, and those of the libraries it starts, such as
    /// SwiftNIO's event loops), and an idle worker never wakes up. The default.
    ///
    /// The trade-off: code that blocks the main thread, or computes for long without
    /// suspending, holds up every task of the worker, not only the main actor's. Put blocking
    /// calls in ``Service/runBlocking(_:)``; choose ``threadPool`` for CPU-bound work spread
    /// over cores.
    case mainThread

    /// Tasks not isolated to the main actor run on the platform's default executor
    /// (Dispatch's thread pool, a thread per core), so CPU-bound work runs in parallel; the
    /// main actor stays on the worker's main thread. An idle worker then keeps the pool's
    /// threads.
    case threadPool
}
