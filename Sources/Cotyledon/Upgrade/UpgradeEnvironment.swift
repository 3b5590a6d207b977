/// The environments of the programs an upgrade starts, derived from the master's own: the
/// check run must not talk to systemd nor take the master's sockets; the new image must not
/// read the sockets systemd passed the old one as its own (they come in the state record).
enum UpgradeEnvironment {
    /// `environment` (`NAME=value` entries) for the check run: without `NOTIFY_SOCKET`,
    /// `WATCHDOG_*`, `LISTEN_*` and `COTYLEDON_UPGRADE_*`, with `COTYLEDON_UPGRADE_CHECK=1`.
    static func forCheck(_ environment: [String]) -> [String] {
        environment.filter { entry in
            let name = entry.prefix { $0 != "=" }
            return name != "NOTIFY_SOCKET" && !name.hasPrefix("WATCHDOG_") && !name.hasPrefix("LISTEN_")
                && !name.hasPrefix("COTYLEDON_UPGRADE_")
        } + ["\(UpgradeHandover.checkVariable)=1"]
    }

    /// `environment` for the new image: without `LISTEN_PID`, `LISTEN_FDS`,
    /// `LISTEN_FDNAMES` and `COTYLEDON_UPGRADE_*`, with `COTYLEDON_UPGRADE_STATE=<state>`.
    static func forExec(_ environment: [String], stateDescriptor: Int32) -> [String] {
        environment.filter { entry in
            let name = entry.prefix { $0 != "=" }
            return name != "LISTEN_PID" && name != "LISTEN_FDS" && name != "LISTEN_FDNAMES" && !name.hasPrefix("COTYLEDON_UPGRADE_")
        } + ["\(UpgradeHandover.stateVariable)=\(stateDescriptor)"]
    }
}
