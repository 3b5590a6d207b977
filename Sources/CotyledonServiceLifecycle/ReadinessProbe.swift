import ServiceLifecycle

/// The last service of a ``ServiceGroupService``'s group: a `ServiceGroup` starts its
/// services in order, so when this one runs, every service before it has its task started.
/// It reports the worker ready, then waits for the graceful shutdown.
struct ReadinessProbe: ServiceLifecycle.Service {
    /// The probe's name in the group's log metadata.
    static let serviceName = "cotyledon-readiness"

    /// Reports the worker ready.
    let onReady: @MainActor @Sendable () -> Void

    func run() async throws {
        await onReady()
        try? await gracefulShutdown()
    }
}
