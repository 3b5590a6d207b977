// The custom-executor interfaces are Swift 6.3's experimental SPI; ARCHITECTURE.md § Worker
// runtime says why the worker uses them. Only the worker's executor files import it.
@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency

#if !compiler(>=6.3)
#error("Cotyledon needs Swift 6.3 or later: its workers run on the executor factory Swift 6.3 introduced")
#endif

/// Makes Swift concurrency run on a worker's ``WorkerEventLoop``: the main actor always,
/// every other task too under ``WorkerConcurrency/mainThread``, or on the platform's
/// default executor (Dispatch's thread pool) under ``WorkerConcurrency/threadPool``.
///
/// ``install(on:concurrency:)`` runs once, in the worker right after the fork, before the
/// worker creates any task; the master never calls it (it creates no task, ARCHITECTURE.md
/// § Fork safety).
enum WorkerExecutorFactory: ExecutorFactory {
    // Set once, by install(on:concurrency:) on the worker's only thread, before the
    // runtime reads them.
    nonisolated(unsafe) private static var main: WorkerMainExecutor?
    nonisolated(unsafe) private static var tasks: (any TaskExecutor)?

    static var mainExecutor: any MainExecutor {
        guard let main else { fatalError("the worker's executors are read before WorkerExecutorFactory.install") }
        return main
    }

    static var defaultExecutor: any TaskExecutor {
        guard let tasks else { fatalError("the worker's executors are read before WorkerExecutorFactory.install") }
        return tasks
    }

    /// Hands the worker's jobs to `loop` as `concurrency` says.
    static func install(on loop: WorkerEventLoop, concurrency: WorkerConcurrency) {
        let main = WorkerMainExecutor(loop: loop)
        let tasks: any TaskExecutor
        switch concurrency {
        case .mainThread:
            let own = WorkerTaskExecutor(loop: loop)
            loop.setExecutors(main: main.asUnownedSerialExecutor(), task: own.asUnownedTaskExecutor())
            tasks = own
        case .threadPool:
            loop.setExecutors(main: main.asUnownedSerialExecutor(), task: nil)
            tasks = PlatformExecutorFactory.defaultExecutor
        }
        self.main = main
        self.tasks = tasks
        _createExecutors(factory: Self.self)
    }
}
