/// The exit statuses of a master process, for `RestartPreventExitStatus=` and scripts.
///
/// | status | meaning |
/// |---|---|
/// | 0 | stopped on request (SIGTERM, SIGINT, SIGQUIT), every worker reaped |
/// | 64 | usage error on the command line (`EX_USAGE`, from the demo's argument parser) |
/// | 69 | the initial workers were not all ready before the startup timeout (`EX_UNAVAILABLE`) |
/// | 70 | API misuse or a failed start-up system call (`EX_SOFTWARE`) |
/// | 75 | gave up: a service exceeded its restart intensity (``RestartPolicy/maximumRestarts`` in ``RestartPolicy/restartWindow``; opt-in, off by default) |
/// | 76 | gave up: a service's workers failed before ready ``RestartPolicy/maximumBootFailures`` times in a row |
/// | 78 | invalid configuration at start; nothing was forked (`EX_CONFIG`) |
public enum MasterExitCode: Int32, Sendable {
    /// Stopped on request; every worker was reaped.
    case stopped = 0
    /// Invalid command line.
    case usage = 64
    /// The initial workers were not all ready before the startup timeout.
    case startupTimedOut = 69
    /// API misuse (see ``CotyledonError``) or a start-up system call failed.
    case software = 70
    /// The master's new image after an in-place upgrade could not take over (an unreadable
    /// state record, a handed-over descriptor or configuration it cannot use): the workers
    /// it was to adopt are killed. Not in `RestartPreventExitStatus=`, so systemd restarts
    /// the unit.
    case upgradeHandoverFailed = 71
    /// A service crashed more often than its restart intensity allows (only when
    /// ``RestartPolicy/maximumRestarts`` is set).
    case crashLoop = 75
    /// A service's workers kept failing before they reported ready.
    case bootFailure = 76
    /// The configuration is invalid (used by daemons that load a file before ``ServiceManager/run()``).
    case configuration = 78
}
