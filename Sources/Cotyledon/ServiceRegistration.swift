/// What the master knows of a service before any instance exists, and its live settings.
final class ServiceRegistration {
    let id: ServiceID
    let name: String
    let readiness: ReadinessMode
    /// Whether a reload calls `reload()` in the workers instead of rolling them.
    let reloadsInPlace: Bool
    /// Where the workers run their tasks (see ``Service/concurrency``).
    let concurrency: WorkerConcurrency
    /// The service class's hung-worker detection (see ``Service/heartbeatTimeout``).
    private let classHeartbeatTimeout: Duration?
    /// Builds the service in the worker process, after the fork.
    let makeService: @MainActor (Int) throws -> Service
    /// The settings from code or the last good configuration.
    private(set) var configuration: ServiceConfiguration
    /// ``ServiceConfiguration/gracefulShutdownTimeout`` or the manager's default.
    private(set) var gracefulShutdownTimeout: Duration
    /// Workers the master keeps alive; changed by SIGTTIN/SIGTTOU and `reconfigure`,
    /// reset to the configured count by a reload.
    var desiredWorkers: Int
    /// Hung-worker detection: the configuration's, else the class's; `nil`: off.
    var heartbeatTimeout: Duration? {
        configuration.heartbeatTimeout ?? classHeartbeatTimeout
    }

    init(
        id: ServiceID, name: String, configuration: ServiceConfiguration, defaultGracefulShutdownTimeout: Duration,
        readiness: ReadinessMode, reloadsInPlace: Bool, heartbeatTimeout: Duration?,
        concurrency: WorkerConcurrency = .mainThread,
        makeService: @escaping @MainActor (Int) throws -> Service
    ) {
        self.classHeartbeatTimeout = heartbeatTimeout
        self.id = id
        self.name = name
        self.readiness = readiness
        self.reloadsInPlace = reloadsInPlace
        self.concurrency = concurrency
        self.makeService = makeService
        self.configuration = configuration
        self.gracefulShutdownTimeout = configuration.gracefulShutdownTimeout ?? defaultGracefulShutdownTimeout
        self.desiredWorkers = configuration.workers
    }

    /// Takes new settings (the worker count is applied by the master's scaling).
    func apply(_ configuration: ServiceConfiguration, defaultGracefulShutdownTimeout: Duration) {
        self.configuration = configuration
        gracefulShutdownTimeout = configuration.gracefulShutdownTimeout ?? defaultGracefulShutdownTimeout
    }
}
