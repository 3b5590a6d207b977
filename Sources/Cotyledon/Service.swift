/// The unit of work a ``ServiceManager`` runs in each of a service's worker processes.
///
/// Subclass it and override ``run()``:
///
/// ```swift
/// final class PrinterService: Service, WorkerIDInitializable {
///     override class var name: String { "printer" }
///
///     override func run() async throws {
///         while !Task.isCancelled {
///             print("Doing stuff")
///             try await Task.sleep(for: .seconds(1))
///         }
///     }
/// }
/// ```
///
/// One instance exists per worker process, created after the fork. The class is
/// `@MainActor`: its state is safe to mutate from ``run()``, ``terminate()`` and
/// ``reload()``, which all run on the main actor, interleaved at suspension points.
/// A `run()` that blocks the main actor (a synchronous loop, CPU-bound work) starves
/// `terminate()` and `reload()`: put blocking work in ``runBlocking(_:)`` or on your
/// own threads, and poll ``stopToken``. A `run()` that never suspends is stopped by
/// the master's `SIGKILL` once the graceful shutdown timeout is over.
///
/// - Important: `ServiceLifecycle.Service` (swift-service-lifecycle) has the same
///   name; in a file importing both, write `Cotyledon.Service`.
@MainActor
open class Service {
    /// The worker's stable index in its service, in `0..<workers`; a respawned worker
    /// gets the id of the one it replaces.
    public let workerID: Int

    /// Set when the worker is asked to stop; readable from any thread.
    public nonisolated let stopToken = StopToken()

    /// The worker process's connection to its master (set before ``run()`` starts).
    var runtime: WorkerRuntime?

    /// Creates the service for one worker; called in the worker process, after the fork.
    ///
    /// Not `required`: a subclass may have only initializers of its own, with the arguments
    /// it needs, and be added with a closure that builds it
    /// (``ServiceManager/add(_:workers:gracefulShutdownTimeout:makeService:)``). A subclass the
    /// manager creates by itself conforms to ``WorkerIDInitializable``.
    ///
    /// - Parameter workerID: the worker's index in its service, in `0..<workers`.
    public init(workerID: Int) {
        self.workerID = workerID
    }

    /// The service's name in the configuration file, process titles and logs: only `a-z`,
    /// `0-9`, `_` and `-`. The default is the type's name in lower case, its words joined by
    /// `-`, without a last word `Service` (`PrinterService` → `printer`, `HTTPDaemonService`
    /// → `http-daemon`). Read by the master before any instance exists, hence a `class var`.
    nonisolated open class var name: String {
        ServiceName.derived(fromTypeName: String(describing: self))
    }

    /// How long workers get to finish ``terminate()`` before they are killed;
    /// `nil` uses the manager's default (60 s unless configured).
    nonisolated open class var gracefulShutdownTimeout: Duration? {
        nil
    }

    /// Opt-in hung-worker detection: a worker beats from a task on its event loop at a
    /// quarter of this interval; when the master sees no beat for this long, it sends
    /// SIGABRT (Swift prints a backtrace), then SIGKILL to the worker's group after the same
    /// time again, and respawns it. `nil`: off.
    ///
    /// Under ``WorkerConcurrency/mainThread`` (the default) every task runs on the main
    /// thread, so any task that blocks it or computes for long without suspending stops the
    /// beats: a `run()` that blocks, but also a `Task.detached` CPU loop, a blocking call in
    /// a nonisolated async function or a long `DispatchQueue.main` block. Such a worker is
    /// aborted as hung. Put blocking calls in ``runBlocking(_:)``, and long computations
    /// there or under ``WorkerConcurrency/threadPool``, where only the main actor shares the
    /// thread with the beats.
    nonisolated open class var heartbeatTimeout: Duration? {
        nil
    }

    /// When a worker counts as ready; default: as soon as ``run()`` starts.
    nonisolated open class var readiness: ReadinessMode {
        .whenRunStarts
    }

    /// Whether a reload of the manager (SIGHUP) calls ``reload()`` in the running workers,
    /// which keep their pids. `false` (the default): a reload replaces the workers with a
    /// readiness-gated rolling restart. Either way a service whose settings changed is rolled.
    nonisolated open class var reloadsInPlace: Bool {
        false
    }

    /// Where the workers run their Swift tasks; default: ``WorkerConcurrency/mainThread``.
    ///
    /// The main actor (``run()``, ``terminate()``, ``reload()``) runs on the worker's main
    /// thread either way. With ``WorkerConcurrency/mainThread`` every other task runs there
    /// too: the worker has one thread and an idle worker never wakes up, but code that blocks
    /// the main thread blocks every task of the worker (put it in ``runBlocking(_:)``).
    /// ``WorkerConcurrency/threadPool`` runs the tasks that are not on the main actor on the
    /// platform's thread pool, for CPU-bound work in parallel:
    ///
    /// ```swift
    /// final class RenderService: Service, WorkerIDInitializable {
    ///     override class var concurrency: WorkerConcurrency { .threadPool }
    /// }
    /// ```
    nonisolated open class var concurrency: WorkerConcurrency {
        .mainThread
    }

    /// The service's work. Return or throw when done.
    ///
    /// Throwing counts as a crash: the worker exits with status 1 and is respawned.
    /// Returning before any ``terminate()`` leaves the worker idle until it is stopped
    /// (as in Python's cotyledon), so a short `run()` never turns into a fork loop.
    /// Once the worker is stopping and `run()` has ended, the worker waits for
    /// `terminate()` to return, logging that it does (`event=waiting-for-terminate`),
    /// and for no longer than the graceful shutdown timeout.
    open func run() async throws {}

    /// Asks ``run()`` to finish. The default cancels the task running `run()`, so a loop
    /// that checks `Task.isCancelled` or awaits `Task.sleep` ends by itself. Override it
    /// to drain work; the worker exits once both `terminate()` and `run()` have returned.
    ///
    /// A `terminate()` still suspended once `run()` has ended (a close that never
    /// completes, say) is waited for, never silently: the worker logs that it waits for
    /// `terminate()` and how long it has left (`event=waiting-for-terminate`). Just before
    /// the graceful shutdown timeout is over, it gives up (`event=terminate-timeout`, a
    /// warning), kills its process group and exits with status 1, as the master's `SIGKILL`
    /// would have a moment later.
    open func terminate() async {
        runtime?.cancelRun()
    }

    /// Handles a reload request (`SIGHUP`). The default finishes the worker gracefully
    /// (``terminate()``) and the master respawns it at once with the same ``workerID``,
    /// so it starts again with fresh configuration. Override it to reload in place.
    open func reload() async {
        runtime?.restartForReload()
    }

    /// When the stop in progress must be over: the service's graceful shutdown timeout
    /// (``ServiceConfiguration/gracefulShutdownTimeout``, the class's or the manager's),
    /// counted from when this worker began to stop, less the moment the worker keeps to exit
    /// before the master's `SIGKILL` is due; `nil` until a stop begins.
    ///
    /// A ``terminate()`` that waits for clients (a drain) bounds its wait with it, a little
    /// before it, and closes what is left then, so that the worker exits by itself (status 0)
    /// rather than being given up on:
    ///
    /// ```swift
    /// let deadline = (stopDeadline ?? .now) - .milliseconds(500)
    /// ```
    public var stopDeadline: ContinuousClock.Instant? {
        runtime?.stopDeadline
    }

    /// The listening sockets of this service, by name: the declared listeners the master
    /// opened (``ManagerConfiguration/listeners``, ``ServiceManager/addListener(_:_:)``)
    /// and the sockets systemd passed (by `FileDescriptorName=`), limited to the names in
    /// ``ServiceConfiguration/listeners`` when it is set; empty when there is none.
    public var listeners: Listeners {
        runtime?.listeners ?? .none
    }

    /// Reports this worker ready, for services whose ``readiness`` is
    /// ``ReadinessMode/explicit``; later calls do nothing.
    public final func markReady() {
        runtime?.markReady()
    }
}
