/// The pool's crash bookkeeping under each service's ``RestartPolicy``: which unrequested
/// worker exits are respawned at once, which wait for a backoff delay, and when the master
/// gives up.
///
/// A value fed with events (a worker's exit, with its slot's early failures in a row, and a
/// worker reporting ready) that answers with decisions for the master to carry out; it reads
/// no clock and draws no randomness of its own. The slot keeps its early failures
/// (``SlotRecord/earlyFailures``); the policy keeps what spans a service. Each exit is weighed under the policy its service has
/// at that moment, so a reloaded policy applies from the next exit on.
struct CrashPolicy {
    /// A worker's exit, as the crash policy weighs it.
    struct Exit {
        /// The slot the worker filled.
        let slot: WorkerSlot
        /// The service's name, for the give-up reason.
        let serviceName: String
        /// How the master classified the exit: only failures (``WorkerExitReason/isFailure``) count.
        let reason: WorkerExitReason
        /// How long the worker ran.
        let uptime: Duration
        /// Whether the slot is to be refilled: still wanted, and not held by another worker.
        let slotIsToBeRefilled: Bool
        /// Workers of the slot that died before the minimum uptime in a row, before this one
        /// (the slot's ``SlotRecord/earlyFailures``).
        let earlyFailuresBefore: Int
        /// When the exit was handled.
        let at: MonotonicInstant

        /// The slot's early failures in a row once this exit is counted: one more if the
        /// worker ran less than `policy`'s minimum uptime, else none.
        func earlyFailures(under policy: RestartPolicy) -> Int {
            uptime < policy.minimumUptime ? earlyFailuresBefore + 1 : 0
        }
    }

    /// What the master does after an exit.
    enum Decision: Equatable {
        /// No restart to count: a requested exit, one an outside signal caused, or a
        /// failure whose slot is not to be refilled. The spawn pass refills any slot still
        /// wanted, at once.
        case noRestart
        /// Count a restart; the spawn pass refills the slot at once.
        case respawnNow
        /// Count a restart; refill the slot at the instant given, `delay` after the exit, the
        /// worker having failed early `earlyFailures` times in a row.
        case respawn(at: MonotonicInstant, delay: Duration, earlyFailures: Int)
        /// Stop every service and exit with `status`, for `reason`.
        case giveUp(MasterExitCode, reason: String)
    }

    /// Unrequested exits per service within its restart window, at most
    /// `maximumRestarts + 1` each: the check needs no more.
    private var recentFailures: [ServiceID: [MonotonicInstant]] = [:]
    /// Workers of a service that died before ready, in a row.
    private var bootFailuresInARow: [ServiceID: Int] = [:]

    /// Weighs `exit` under `policy` and records it.
    ///
    /// - Parameters:
    ///   - exit: the worker's exit.
    ///   - policy: the restart policy of the worker's service.
    ///   - random: the source of the backoff delay's jitter.
    /// - Returns: give up when the exit exceeds the restart intensity (75) or the
    ///   boot-failure limit (76); otherwise when to refill the slot, if it is counted.
    mutating func decide(after exit: Exit, under policy: RestartPolicy,
                         using random: inout some RandomNumberGenerator) -> Decision {
        guard exit.reason.isFailure else { return .noRestart }
        if let giveUp = giveUpDecision(after: exit, under: policy) { return giveUp }
        guard exit.slotIsToBeRefilled else { return .noRestart }
        let failures = exit.earlyFailures(under: policy)
        let delay = policy.delay(afterConsecutiveEarlyFailures: failures,
                                 random: Double.random(in: 0...1, using: &random))
        guard delay > .zero else { return .respawnNow }
        return .respawn(at: exit.at + delay, delay: delay, earlyFailures: failures)
    }

    /// A worker of `service` reported ready: its boot failures in a row start over.
    mutating func workerBecameReady(in service: ServiceID) {
        bootFailuresInARow[service] = 0
    }

    /// Records the unrequested `exit` toward its service's restart intensity and boot
    /// failures, and whether that exceeds either limit, and why.
    private mutating func giveUpDecision(after exit: Exit, under policy: RestartPolicy) -> Decision? {
        let service = exit.slot.service
        if policy.maximumRestarts > 0 {
            var recent = recentFailures[service, default: []].filter { exit.at - $0 < policy.restartWindow }
            recent.append(exit.at)
            recentFailures[service] = Array(recent.suffix(policy.maximumRestarts + 1))
            guard recent.count <= policy.maximumRestarts else {
                return .giveUp(.crashLoop, reason: "\(exit.serviceName) had \(recent.count) unrequested worker exits within \(policy.restartWindow), more than max_restarts \(policy.maximumRestarts)")
            }
        }
        guard exit.reason == .failedBeforeReady, policy.minimumUptime > .zero else { return nil }
        let bootFailures = bootFailuresInARow[service, default: 0] + 1
        bootFailuresInARow[service] = bootFailures
        if policy.maximumBootFailures > 0, bootFailures >= policy.maximumBootFailures {
            return .giveUp(.bootFailure, reason: "\(bootFailures) \(exit.serviceName) workers in a row died before they were ready (max_boot_failures \(policy.maximumBootFailures))")
        }
        return nil
    }
}
