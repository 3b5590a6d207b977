/// A readiness-gated rolling restart of one service, one worker at a time (surge 1):
/// a replacement is forked with the id of the worker it replaces; only when it reports
/// ready does the old worker get SIGTERM, so the service never has fewer ready workers
/// than configured. A replacement that is not ready within the service's readiness
/// timeout aborts the roll and the old workers stay.
final class RollingRestart {
    let service: ServiceRegistration
    /// Worker ids still to replace, in order.
    var remaining: [Int]
    /// The replacement being waited for.
    var current: WorkerRecord?
    /// When `current` must be ready.
    var deadline: MonotonicInstant?

    init(service: ServiceRegistration, workerIDs: [Int]) {
        self.service = service
        self.remaining = workerIDs
    }
}
