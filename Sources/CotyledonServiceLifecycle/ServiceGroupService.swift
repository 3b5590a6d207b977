import Cotyledon
import Logging
import ServiceLifecycle

/// A Cotyledon service whose workers each run a swift-service-lifecycle `ServiceGroup`.
///
/// Every worker process builds its own group after the fork, runs it, and maps the
/// worker's life onto it:
///
/// | the worker gets | the group does |
/// |---|---|
/// | `SIGTERM` (``terminate()``) | a graceful shutdown: services are asked to stop in reverse order |
/// | `SIGHUP` (``reload()``) | nothing by itself: the reload handler (or your override) runs |
/// | start | the worker reports ready once the group has started every service |
///
/// Subclass it and override ``makeServices()``:
///
/// ```swift
/// import Cotyledon
/// import CotyledonServiceLifecycle
/// import ServiceLifecycle
///
/// final class APIWorkers: ServiceGroupService {
///     override class var name: String { "api" }
///
///     override func makeServices() async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
///         [.init(service: HTTPServer(port: 8080)), .init(service: CacheRefresher())]
///     }
/// }
///
/// try manager.add(APIWorkers.self, workers: 4)
/// ```
///
/// or build it with closures, through `ServiceManager.add(name:…)` (pass the class's
/// `readiness`, `.explicit`, there: the closure form cannot read it):
///
/// ```swift
/// try manager.add(name: "api", workers: 4, readiness: .explicit, reloadsInPlace: true) { workerID in
///     ServiceGroupService(workerID: workerID) { _ in
///         [.init(service: HTTPServer(port: 8080))]
///     } onReload: { _ in
///         settings.reload()
///     }
/// }
/// ```
///
/// Signals stay Cotyledon's: the group is configured with no graceful-shutdown and no
/// cancellation signals, so it installs no signal handler that would take `SIGTERM` or
/// `SIGHUP` from the worker's own handling. Stop and reload the workers the Cotyledon
/// way (signals to the master, `cotyledonctl`, systemd).
///
/// - Important: swift-service-lifecycle's protocol is also named `Service`. In a file
///   that imports both modules, write `Cotyledon.Service` and `ServiceLifecycle.Service`.
///   This class is the `Cotyledon.Service`; the services it runs are
///   `ServiceLifecycle.Service`s.
open class ServiceGroupService: Cotyledon.Service, WorkerIDInitializable {
    /// Builds the group's services for one worker, in the worker process.
    public typealias MakeServices = @MainActor (_ workerID: Int) async throws -> [ServiceGroupConfiguration.ServiceConfiguration]

    /// Handles a reload of one worker (`SIGHUP`), in the worker process.
    public typealias ReloadHandler = @MainActor (_ workerID: Int) async -> Void

    /// What the group logs with. For a subclass: labelled with the service's
    /// `name`, with the worker id in the `worker` metadata.
    public var logger: Logger

    /// After this long, a graceful shutdown of the group turns into task cancellation
    /// (swift-service-lifecycle's `maximumGracefulShutdownDuration`). `nil`: no limit
    /// but the master's, which kills the worker when the service's graceful shutdown
    /// timeout is over. Set it below that timeout to give cancellation its chance.
    public var maximumGracefulShutdownDuration: Duration?

    private let servicesFactory: MakeServices?
    private let reloadHandler: ReloadHandler?
    private var group: ServiceGroup?

    /// The worker reports ready itself, once its group runs: see ``run()``.
    override open class var readiness: ReadinessMode {
        .explicit
    }

    /// Creates the service for one worker of a subclass that overrides ``makeServices()``.
    public required override init(workerID: Int) {
        var logger = Logger(label: Self.name)
        logger[metadataKey: "worker"] = "\(workerID)"
        self.logger = logger
        self.servicesFactory = nil
        self.reloadHandler = nil
        super.init(workerID: workerID)
    }

    /// Creates the service for one worker from closures, for
    /// `ServiceManager.add(name:…) { workerID in … }`.
    ///
    /// - Parameters:
    ///   - workerID: the worker's id, as the manager passes it.
    ///   - logger: what the group logs with; defaults to a logger labelled `"service-group"`.
    ///   - maximumGracefulShutdownDuration: see ``maximumGracefulShutdownDuration``.
    ///   - services: builds the group's services, in the worker, before the group starts.
    ///   - onReload: runs on `SIGHUP` to the worker; `nil` keeps Cotyledon's default
    ///     (the worker finishes gracefully and is respawned with the same id). Add the
    ///     service with `reloadsInPlace: true` for a manager reload to call it too.
    public init(
        workerID: Int,
        logger: Logger = Logger(label: "service-group"),
        maximumGracefulShutdownDuration: Duration? = nil,
        services: @escaping MakeServices,
        onReload: ReloadHandler? = nil
    ) {
        self.logger = logger
        self.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        self.servicesFactory = services
        self.reloadHandler = onReload
        super.init(workerID: workerID)
    }

    /// The services the worker's group runs, built in the worker before the group starts.
    /// The default calls the `services` closure given at creation.
    ///
    /// - Throws: ``ServiceGroupServiceError/noServices(service:)`` by default when the
    ///   service was created without closures; any error thrown here counts as a crash
    ///   (the worker exits with status 1 and is respawned).
    open func makeServices() async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let servicesFactory else { throw ServiceGroupServiceError.noServices(service: Self.name) }
        return try await servicesFactory(workerID)
    }

    /// Builds the services and runs them in a `ServiceGroup` until it finishes.
    ///
    /// The worker reports ready once the group has started every service. A stop
    /// requested while the services are being built ends `run()` before the group
    /// starts. A group that throws (a service failed, or finished and cancelled the
    /// group) counts as a crash: the worker is respawned.
    public final override func run() async throws {
        let services = try await makeServices()
        guard !stopToken.isStopRequested else { return }
        let group = ServiceGroup(configuration: Self.groupConfiguration(
            services: services,
            probe: ReadinessProbe { [self] in markReady() },
            logger: logger,
            maximumGracefulShutdownDuration: maximumGracefulShutdownDuration))
        self.group = group
        try await group.run()
    }

    /// Shuts the group down gracefully. Before the group exists (its services are still
    /// being built), cancels ``run()`` instead.
    public final override func terminate() async {
        if let group {
            await group.triggerGracefulShutdown()
        } else {
            await super.terminate()
        }
    }

    /// Calls the reload handler given at creation; without one, finishes the worker
    /// gracefully to be respawned with the same id (Cotyledon's default). Override it to
    /// reload your services in place; the group keeps running either way.
    open override func reload() async {
        if let reloadHandler {
            await reloadHandler(workerID)
        } else {
            await super.reload()
        }
    }

    /// The group's configuration: `services`, then the readiness probe, and no signals
    /// (the worker's signals belong to Cotyledon).
    nonisolated static func groupConfiguration(
        services: [ServiceGroupConfiguration.ServiceConfiguration],
        probe: ReadinessProbe,
        logger: Logger,
        maximumGracefulShutdownDuration: Duration?
    ) -> ServiceGroupConfiguration {
        let probeConfiguration = ServiceGroupConfiguration.ServiceConfiguration(
            service: probe, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
            serviceName: ReadinessProbe.serviceName)
        var configuration = ServiceGroupConfiguration(
            services: services + [probeConfiguration], gracefulShutdownSignals: [], cancellationSignals: [],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        return configuration
    }
}
