/// The exit statuses of a master process, for `RestartPreventExitStatus=` and scripts.
///
/// | status | meaning |
/// |---|---|
/// | 0 | stopped on request (SIGTERM, SIGINT, SIGQUIT), every worker reaped |
/// | 64 | usage error on the command line (`EX_USAGE`, from the demo's argument parser) |
/// | 69 | the initial workers were not all ready before the startup timeout (`EX_UNAVAILABLE`) |
/// | 70 | API misuse or a failed start-up system call (`EX_SOFTWARE`) |
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
    /// The configuration is invalid (used by daemons that load a file before ``ServiceManager/run()``).
    case configuration = 78
}
