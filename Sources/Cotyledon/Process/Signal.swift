import Glibc

/// A POSIX signal, named the way `kill -l` and the logs name it (`SIGTERM`).
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The signal number.
    public let rawValue: Int32

    /// Wraps a signal number.
    ///
    /// - Parameter rawValue: the number, such as `SIGTERM` (15).
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Graceful stop.
    public static let terminate = Signal(rawValue: SIGTERM)
    /// Fast stop (Ctrl-C).
    public static let interrupt = Signal(rawValue: SIGINT)
    /// Fast stop.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// Reload.
    public static let hangup = Signal(rawValue: SIGHUP)
    /// One more worker per service.
    public static let ttin = Signal(rawValue: SIGTTIN)
    /// One fewer worker per service.
    public static let ttou = Signal(rawValue: SIGTTOU)
    /// In-place upgrade of the master's executable.
    public static let user2 = Signal(rawValue: SIGUSR2)
    /// A child changed state.
    public static let child = Signal(rawValue: SIGCHLD)
    /// Resume a stopped process.
    public static let `continue` = Signal(rawValue: SIGCONT)
    /// Uncatchable kill.
    public static let kill = Signal(rawValue: SIGKILL)
    /// Abort (Swift's backtracer prints a stack trace on it).
    public static let abort = Signal(rawValue: SIGABRT)
    /// Broken pipe.
    public static let pipe = Signal(rawValue: SIGPIPE)

    private static let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL",
        SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
        SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
        SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGSTKFLT: "SIGSTKFLT",
        SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP",
        SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGXCPU: "SIGXCPU",
        SIGXFSZ: "SIGXFSZ", SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGWINCH: "SIGWINCH",
        SIGIO: "SIGIO", SIGPWR: "SIGPWR", SIGSYS: "SIGSYS",
    ]

    /// `SIGTERM`, or `SIG<n>` for a number without a name (real-time signals).
    public var description: String {
        Signal.names[rawValue] ?? "SIG\(rawValue)"
    }
}
