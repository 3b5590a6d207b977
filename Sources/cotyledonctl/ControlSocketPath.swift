import Glibc

/// Where the daemon's control socket is: `--socket`, else `COTYLEDON_CONTROL_SOCKET`, else the
/// same default as the daemon's.
///
/// The default, in order:
/// 1. `$RUNTIME_DIRECTORY/control.sock` when systemd sets `RUNTIME_DIRECTORY` (`RuntimeDirectory=`;
///    of a colon-separated list, the first entry);
/// 2. `/run/cotyledon-demo/control.sock` when run as root;
/// 3. `$XDG_RUNTIME_DIR/cotyledon-demo/control.sock` when `XDG_RUNTIME_DIR` is set;
/// 4. `/tmp/cotyledon-demo-<uid>/control.sock`.
enum ControlSocketPath {
    /// The environment variable that overrides the default path.
    static let environmentVariable = "COTYLEDON_CONTROL_SOCKET"

    /// The path to connect to.
    /// - Parameter explicit: the `--socket` option, if given.
    static func resolve(explicit: String?) -> String {
        if let explicit { return explicit }
        if let fromEnvironment = environment(environmentVariable) { return fromEnvironment }
        return defaultPath(uid: geteuid())
    }

    /// The daemon's default path for a process running as `uid`.
    static func defaultPath(uid: uid_t) -> String {
        if let runtime = environment("RUNTIME_DIRECTORY"),
           let first = runtime.split(separator: ":").first {
            return "\(first)/control.sock"
        }
        if uid == 0 {
            return "/run/cotyledon-demo/control.sock"
        }
        if let xdg = environment("XDG_RUNTIME_DIR") {
            return "\(xdg)/cotyledon-demo/control.sock"
        }
        return "/tmp/cotyledon-demo-\(uid)/control.sock"
    }

    /// The value of `name`, or `nil` when it is unset or empty.
    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
