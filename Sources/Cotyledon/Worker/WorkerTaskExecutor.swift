// The custom-executor interfaces are Swift 6.3's experimental SPI; ARCHITECTURE.md § Worker
// runtime says why the worker uses them. Only the worker's executor files import it.
@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency

/// The default executor of a worker's tasks (those not isolated to an actor of their own
/// executor) under ``WorkerConcurrency/mainThread``: their jobs run on the worker's main
/// thread too, in the ``WorkerEventLoop``, between the main actor's.
final class WorkerTaskExecutor: TaskExecutor, SchedulingExecutor, @unchecked Sendable {
    private let loop: WorkerEventLoop

    /// An executor feeding `loop`.
    init(loop: WorkerEventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(UnownedJob(job), on: .taskExecutor)
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        loop.enqueue(UnownedJob(job), on: .taskExecutor, at: SchedulingDeadline.monotonic(after: delay, on: clock))
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
        loop.enqueue(UnownedJob(job), on: .taskExecutor, at: SchedulingDeadline.monotonic(for: instant, on: clock))
    }
}
