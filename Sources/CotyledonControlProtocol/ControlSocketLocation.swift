import Glibc

/// Where a daemon's control socket is: the default path a daemon derives from its program name,
/// and the path a client connects to. One rule for both ends, so that `cotyledonctl --program
/// NAME` finds the socket the daemon `NAME` chose by default.
public enum ControlSocketLocation {
    /// The environment variable that gives a client the socket's path.
    public static let environmentVariable = "COTYLEDON_CONTROL_SOCKET"

    /// The default path of the control socket of `program`, for a process running as `uid`:
    /// 1. `$RUNTIME_DIRECTORY/control.sock` when systemd sets `RUNTIME_DIRECTORY`
    ///    (`RuntimeDirectory=`; of a colon-separated list, the first entry);
    /// 2. `/run/<program>/control.sock` for root;
    /// 3. `$XDG_RUNTIME_DIR/<program>/control.sock` when `XDG_RUNTIME_DIR` is set;
    /// 4. `/tmp/<program>-<uid>/control.sock`.
    /// - Parameters:
    ///   - program: the daemon's executable name (its base name).
    ///   - uid: the effective user id.
    ///   - environment: an environment variable's value, `nil` when it is unset or empty.
    public static func defaultPath(program: String, uid: uid_t, environment: (String) -> String? = processEnvironment)
        -> String
    {
        if let runtime = environment("RUNTIME_DIRECTORY"), let first = runtime.split(separator: ":").first {
            return "\(first)/control.sock"
        }
        if uid == 0 {
            return "/run/\(program)/control.sock"
        }
        if let xdg = environment("XDG_RUNTIME_DIR") {
            return "\(xdg)/\(program)/control.sock"
        }
        return "/tmp/\(program)-\(uid)/control.sock"
    }

    /// The path a client connects to: `socket` when given; else the default path of `program`
    /// when given; else `$COTYLEDON_CONTROL_SOCKET`; else the default path of `fallbackProgram`.
    /// - Parameters:
    ///   - socket: a path the user gave (`cotyledonctl --socket`).
    ///   - program: the daemon's program name the user gave (`cotyledonctl --program`).
    ///   - fallbackProgram: the program whose default path is used when nothing else says.
    ///   - uid: the client's effective user id.
    ///   - environment: an environment variable's value, `nil` when it is unset or empty.
    public static func clientPath(
        socket: String?, program: String?, fallbackProgram: String, uid: uid_t,
        environment: (String) -> String? = processEnvironment
    ) -> String {
        if let socket { return socket }
        if let program { return defaultPath(program: program, uid: uid, environment: environment) }
        if let fromEnvironment = environment(environmentVariable) { return fromEnvironment }
        return defaultPath(program: fallbackProgram, uid: uid, environment: environment)
    }

    /// The value of this process's environment variable `name`, `nil` when it is unset or empty.
    public static func processEnvironment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
