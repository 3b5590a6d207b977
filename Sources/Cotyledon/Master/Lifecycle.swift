/// Where the master is in its life, with the facts that belong to that stage: the
/// start-up deadline while starting, a reload in progress while starting or running, the
/// stop's mode and cause while stopping.
///
/// A value with transitions that answer what the master must do (send `READY=1`, reload
/// again, escalate a stop); it reads no clock and touches no process, so every rule is
/// tested in-process.
enum Lifecycle: Equatable {
    /// The initial workers are forked and not all ready yet; they must be by `deadline`.
    case starting(deadline: MonotonicInstant?, reload: ReloadProgress?)
    /// Every initial worker was ready once (`READY=1` was sent); the pool is kept full.
    case running(reload: ReloadProgress?)
    /// Waiting for the workers to exit, then the master exits with `cause`'s status.
    case stopping(StopMode, cause: StopCause)

    /// How the workers are asked to stop.
    enum StopMode: Equatable {
        /// `SIGTERM`, then the service's graceful shutdown timeout.
        case graceful
        /// `SIGINT` (after `SIGINT`/`SIGQUIT` or a second stop request), then a short grace.
        case fast
    }

    /// Why the master stops.
    enum StopCause: Equatable {
        /// A stop signal or a control request: exit 0.
        case requested
        /// A give-up of the crash policy, with its exit status and its reason.
        case gaveUp(MasterExitCode, reason: String)
        /// The initial workers were not all ready in time; `status` is what systemd was told.
        case startupTimedOut(status: String)

        /// The master's exit status once every worker is reaped.
        var exitStatus: MasterExitCode {
            switch self {
            case .requested: .stopped
            case .gaveUp(let status, _): status
            case .startupTimedOut: .startupTimedOut
            }
        }

        /// What systemd's status line says before the workers left, `nil` for a requested stop.
        var statusPrefix: String? {
            switch self {
            case .requested: nil
            case .gaveUp(_, let reason): "gave up: \(reason)"
            case .startupTimedOut(let status): status
            }
        }
    }

    /// A reload under way: applied and waiting for its rolling restarts, or only queued
    /// behind a rolling restart that is not a reload's (a restart or a recycling).
    struct ReloadProgress: Equatable {
        /// Whether new settings were applied, so that `READY=1` follows the rolls.
        var isApplied: Bool
        /// Another reload was asked for meanwhile: it runs once the rolls are over, with
        /// the file as it is then, however many were asked for.
        var isQueued: Bool
        /// Why the applied reload failed in part (an aborted roll), for the answer and `STATUS=`.
        var failure: String?
        /// A reload's rolls, or the rolls that replace the workers of the previous build after
        /// an in-place upgrade.
        var kind: Kind = .reload
    }

    /// What the rolls under way complete.
    enum Kind: Equatable {
        /// A reload (SIGHUP, `reload`).
        case reload
        /// An in-place upgrade, in the new image.
        case upgrade
    }

    /// What to do with an upgrade request.
    enum UpgradeStart: Equatable {
        /// Check the new executable now.
        case check
        /// Refuse it, for `reason`.
        case refuse(reason: String)
    }

    /// What to do with a reload request.
    enum ReloadStart: Equatable {
        /// Read the configuration and apply it now.
        case apply
        /// Wait for the rolls under way; `first` when no reload was queued yet (log it once).
        case queue(first: Bool)
        /// Refuse it: the master is stopping.
        case refuse
    }

    /// What to do once no rolling restart is left.
    enum RollsFinished: Equatable {
        /// Nothing: no reload was waiting for them.
        case nothing
        /// Run the queued reload now.
        case reloadAgain
        /// The applied reload is complete: answer its waiters and send `READY=1`, saying
        /// why it failed in part if it did.
        case reloadComplete(failure: String?)
        /// The upgrade's rolls are over: answer its waiters and send `READY=1`, saying why a
        /// roll failed if one did; then run the reload asked for meanwhile, if `reloadAfter`.
        case upgradeComplete(failure: String?, reloadAfter: Bool)
    }

    /// What to do with a stop request.
    enum StopStart: Equatable {
        /// Begin stopping in `mode`: hooks, `STOPPING=1`, signals to every worker.
        case begin(StopMode)
        /// A graceful stop becomes fast: every worker is asked again with `SIGINT`.
        case escalate
        /// Already stopping fast.
        case nothing
    }

    /// Starting, with the initial workers due by `deadline` (`nil`: no start-up timeout).
    static func start(deadline: MonotonicInstant?) -> Lifecycle {
        .starting(deadline: deadline, reload: nil)
    }

    /// Whether the master keeps its services at their worker counts and takes reloads,
    /// resizes and restarts (it is not stopping).
    var isSupervising: Bool {
        if case .stopping = self { return false }
        return true
    }

    /// When the initial workers must all be ready, while starting with a start-up timeout.
    var startupDeadline: MonotonicInstant? {
        if case .starting(let deadline, _) = self { return deadline }
        return nil
    }

    /// The stop mode, while stopping.
    var stopMode: StopMode? {
        if case .stopping(let mode, _) = self { return mode }
        return nil
    }

    /// The reload under way, while starting or running.
    private(set) var reload: ReloadProgress? {
        get {
            switch self {
            case .starting(_, let reload), .running(let reload): reload
            case .stopping: nil
            }
        }
        set {
            switch self {
            case .starting(let deadline, _): self = .starting(deadline: deadline, reload: newValue)
            case .running: self = .running(reload: newValue)
            case .stopping: break
            }
        }
    }

    /// Every service has all its workers ready: starting ends (the caller sends `READY=1`).
    ///
    /// - Returns: `true` the first time, while starting; `false` otherwise.
    mutating func allWorkersReady() -> Bool {
        guard case .starting(_, let reload) = self else { return false }
        self = .running(reload: reload)
        return true
    }

    /// A reload was asked for (`SIGHUP`, the control socket) while `rollsInProgress`.
    mutating func reloadRequested(rollsInProgress: Bool) -> ReloadStart {
        guard isSupervising else { return .refuse }
        guard rollsInProgress else { return .apply }
        let first = !(reload?.isQueued ?? false)
        var progress = reload ?? ReloadProgress(isApplied: false, isQueued: false)
        progress.isQueued = true
        reload = progress
        return .queue(first: first)
    }

    /// An upgrade was asked for while `rollsInProgress`: refused while starting (systemd has
    /// no `READY=1` yet), while stopping, and while a reload or a rolling restart is under
    /// way (the new image would find it half done).
    func upgradeRequested(rollsInProgress: Bool) -> UpgradeStart {
        guard isSupervising else { return .refuse(reason: "the daemon is stopping") }
        if case .starting = self {
            return .refuse(reason: "the daemon is starting; upgrade once every worker is ready")
        }
        if reload?.kind == .upgrade {
            return .refuse(reason: "an upgrade is in progress; upgrade again when it completes")
        }
        guard reload == nil, !rollsInProgress else {
            return .refuse(reason: "a reload is in progress; upgrade when it completes")
        }
        return .check
    }

    /// The new image adopted the previous one's workers: running, with the upgrade's rolls to
    /// complete, and the reload the previous image had queued (`reloadQueued`) after them.
    static func adoptedUpgrade(reloadQueued: Bool) -> Lifecycle {
        .running(reload: ReloadProgress(isApplied: true, isQueued: reloadQueued, failure: nil, kind: .upgrade))
    }

    /// The new settings were applied: the reload waits for its rolls, with no failure yet.
    mutating func reloadApplied() {
        reload = ReloadProgress(isApplied: true, isQueued: false, failure: nil)
    }

    /// A rolling restart was aborted: an applied reload reports `failure`.
    mutating func rollAborted(_ failure: String) {
        guard var progress = reload, progress.isApplied else { return }
        progress.failure = failure
        reload = progress
    }

    /// No rolling restart is left.
    mutating func rollsFinished() -> RollsFinished {
        guard let progress = reload else { return .nothing }
        reload = nil
        if progress.kind == .upgrade {
            return .upgradeComplete(failure: progress.failure, reloadAfter: progress.isQueued)
        }
        if progress.isQueued { return .reloadAgain }
        return progress.isApplied ? .reloadComplete(failure: progress.failure) : .nothing
    }

    /// A stop was asked for: the first request begins the stop (`fast` or not, for
    /// `cause`), any further one makes it fast. A stop ends any reload under way.
    mutating func stopRequested(fast: Bool, cause: StopCause) -> StopStart {
        switch self {
        case .starting, .running:
            let mode: StopMode = fast ? .fast : .graceful
            self = .stopping(mode, cause: cause)
            return .begin(mode)
        case .stopping(.graceful, let cause):
            self = .stopping(.fast, cause: cause)
            return .escalate
        case .stopping(.fast, _):
            return .nothing
        }
    }

    /// The exit status once the workers are gone: the stop cause's, 0 if not stopping.
    var exitStatus: MasterExitCode {
        if case .stopping(_, let cause) = self { return cause.exitStatus }
        return .stopped
    }
}
