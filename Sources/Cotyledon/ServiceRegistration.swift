/// What the master knows of a service before any instance exists.
final class ServiceRegistration {
    let id: ServiceID
    let name: String
    /// Workers the master keeps alive; changed by SIGTTIN/SIGTTOU and `reconfigure`.
    var desiredWorkers: Int
    let gracefulShutdownTimeout: Duration
    let readiness: ReadinessMode
    /// Builds the service in the worker process, after the fork.
    let makeService: @MainActor (Int) throws -> Service

    init(
        id: ServiceID, name: String, workers: Int, gracefulShutdownTimeout: Duration,
        readiness: ReadinessMode, makeService: @escaping @MainActor (Int) throws -> Service
    ) {
        self.id = id
        self.name = name
        self.desiredWorkers = workers
        self.gracefulShutdownTimeout = gracefulShutdownTimeout
        self.readiness = readiness
        self.makeService = makeService
    }
}
