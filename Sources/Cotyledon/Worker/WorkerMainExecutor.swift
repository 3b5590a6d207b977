// The custom-executor interfaces are Swift 6.3's experimental SPI; ARCHITECTURE.md § Worker
// runtime says why the worker uses them. Only the worker's executor files import it.
@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency

/// The main actor's executor in a worker: its jobs run on the worker's main thread, in the
/// ``WorkerEventLoop``, and so does every job it schedules (`Task.sleep` on the main actor).
final class WorkerMainExecutor: MainExecutor, SchedulingExecutor, @unchecked Sendable {
    private let loop: WorkerEventLoop

    /// An executor feeding `loop`.
    init(loop: WorkerEventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(UnownedJob(job), on: .mainActor)
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        loop.enqueue(UnownedJob(job), on: .mainActor, at: SchedulingDeadline.monotonic(after: delay, on: clock))
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
        loop.enqueue(UnownedJob(job), on: .mainActor, at: SchedulingDeadline.monotonic(for: instant, on: clock))
    }

    /// Runs the worker's event loop; never returns.
    func run() throws {
        loop.run()
    }

    /// Does nothing: the worker's loop runs until the worker exits.
    func stop() {}

    var isMainExecutor: Bool { true }

    /// The main thread is the main actor's: the loop runs one job at a time there.
    func checkIsolated() {
        precondition(loop.isLoopThread, "not on the main actor: this code runs on another thread than the worker's main thread")
    }

    func isIsolatingCurrentContext() -> Bool? {
        loop.isLoopThread
    }
}
