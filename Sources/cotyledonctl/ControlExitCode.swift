/// The exit statuses of `cotyledonctl`, one per outcome, for scripts and `ExecReload=`.
///
/// | status | meaning |
/// |---|---|
/// | 0 | the daemon did it |
/// | 1 | the daemon answered with an error (unknown service, invalid worker count, stopping, busy…) |
/// | 2 | `reload --wait` or `upgrade --wait`: the reload or upgrade failed (the configuration or the new build was refused, or a roll aborted) |
/// | 64 | usage error on the command line (`EX_USAGE`) |
/// | 69 | no daemon is listening on the socket (`EX_UNAVAILABLE`: the path does not exist or refuses connections) |
/// | 75 | the daemon did not answer in time (`EX_TEMPFAIL`) |
/// | 76 | the daemon's answer was not understood, or it closed the connection early (`EX_PROTOCOL`) |
/// | 77 | permission denied: the socket or the daemon refused this user, or the socket's directory is writable by other users (`EX_NOPERM`) |
enum ControlExitCode: Int32 {
    /// The daemon did what was asked.
    case success = 0
    /// The daemon answered with an error other than those below.
    case refused = 1
    /// `reload --wait` or `upgrade --wait`: the daemon answered `reload-failed` or `upgrade-failed`.
    case operationFailed = 2
    /// Invalid command line (`EX_USAGE`; also what the argument parser exits with).
    case usage = 64
    /// Nothing listens on the socket (`EX_UNAVAILABLE`).
    case notRunning = 69
    /// No connection or no answer before the deadline (`EX_TEMPFAIL`).
    case timedOut = 75
    /// Unparsable answer or connection closed before one (`EX_PROTOCOL`).
    case protocolError = 76
    /// The socket's mode or the daemon refused this user, or the socket's directory is not
    /// trusted (`EX_NOPERM`).
    case permissionDenied = 77

    /// The table above, for `--help`.
    static let helpText = """
    Exit status: 0 success; 1 the daemon answered with an error; 2 reload --wait or \
    upgrade --wait and it failed; 64 usage error; 69 the daemon is not running (nothing listens on \
    the socket); 75 no answer in time (5 s, 30 s for reload --wait, --timeout for upgrade --wait); 76 protocol error \
    (unparsable answer, connection closed early); 77 permission denied.
    """
}
