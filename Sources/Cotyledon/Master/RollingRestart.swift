/// A readiness-gated rolling restart of some of a service's workers, one at a time
/// (surge 1): a replacement is forked with the id of the worker it replaces; only when
/// it reports ready does the old worker get SIGTERM, so the service never has fewer
/// ready workers than configured. A replacement that is not ready within the service's
/// readiness timeout aborts the roll and the old workers stay.
///
/// Reloads roll every worker of a service; recycling (`max_lifetime`) rolls one worker,
/// appended to the service's roll if one is under way.
final class RollingRestart {
    /// A worker to replace: its id and the pid that filled the slot when it was queued.
    /// A slot filled by another pid by the time its turn comes (it died and was
    /// respawned, or was replaced already) is skipped: that worker is fresh.
    struct Target: Equatable {
        let workerID: Int
        let pid: Int32
    }

    /// Workers still to replace, in order.
    private(set) var remaining: [Target]
    /// The replacement being waited for, until the master's roll-readiness deadline.
    var current: WorkerRecord?

    /// A roll of `targets`, in order.
    init(targets: [Target]) {
        self.remaining = targets
    }

    /// Queues `target` after the others, unless it is queued already.
    func enqueue(_ target: Target) {
        if !remaining.contains(target) { remaining.append(target) }
    }

    /// Takes the next worker to replace, if any is left.
    func next() -> Target? {
        remaining.isEmpty ? nil : remaining.removeFirst()
    }
}
