import CCotyledonLinux

/// How a worker process ended, as `waitpid` reported it.
public enum WorkerExitStatus: Hashable, Sendable, CustomStringConvertible {
    /// The worker called `exit` (or returned from `main`) with this status.
    case exited(code: Int32)
    /// The worker was killed by a signal.
    case killed(by: Signal, coreDumped: Bool)

    /// Decodes a raw `waitpid` status.
    init(waitStatus status: Int32) {
        if ccotyledon_wifsignaled(status) != 0 {
            self = .killed(by: Signal(rawValue: ccotyledon_wtermsig(status)),
                           coreDumped: ccotyledon_wcoredump(status) != 0)
        } else {
            self = .exited(code: ccotyledon_wexitstatus(status))
        }
    }

    /// `exited with status 3` or `killed by SIGKILL`, for log messages.
    public var description: String {
        switch self {
        case .exited(let code):
            return "exited with status \(code)"
        case .killed(let signal, let coreDumped):
            return "killed by \(signal)" + (coreDumped ? " (core dumped)" : "")
        }
    }

    /// `exited:3` or `killed:SIGKILL`, for the `status=` log field.
    public var token: String {
        switch self {
        case .exited(let code): return "exited:\(code)"
        case .killed(let signal, _): return "killed:\(signal)"
        }
    }

    /// Whether the worker exited with status 0.
    public var isSuccess: Bool { self == .exited(code: 0) }
}
