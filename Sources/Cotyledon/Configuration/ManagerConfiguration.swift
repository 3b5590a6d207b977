import Logging

/// The manager-level settings of a configuration file and the settings of each service.
///
/// ```yaml
/// log_level: info                   # trace, debug, info, notice, warning, error, critical
/// graceful_shutdown_timeout: 60     # seconds
/// startup_timeout: 90               # seconds; 0 = wait forever
/// fd_store: false                  # keep the listeners in systemd's store across restarts
/// listeners:
///   http:
///     address: 127.0.0.1:8080
/// services:
///   printer:
///     workers: 2
/// ```
///
/// Every key is optional. Create it in code, or read it from a file with the
/// `CotyledonConfiguration` module
/// (`ConfigurationFile.load(ManagerConfiguration.self, from: path) { loaded throws(ConfigurationError) in try loaded.validate(knownServices: ["printer"]) }`),
/// as a whole file or as a property of a daemon's own model.
public struct ManagerConfiguration: Equatable, Sendable {
    /// The lowest level logged; default `info`.
    public var logLevel: Logger.Level
    /// How long workers get to stop after `SIGTERM` when their service sets no timeout; default 60 s.
    public var gracefulShutdownTimeout: Duration
    /// How long the initial workers get to all report ready; `nil` waits forever (`0`
    /// in the file); default 90 s.
    public var startupTimeout: Duration?
    /// The settings of each service, by service name; default none.
    public var services: [String: ServiceConfiguration]
    /// Where the master serves its control socket; `nil`: the daemon's default. Read at
    /// start only (a reload cannot move a listening socket).
    public var controlSocket: String?
    /// The listening sockets the master opens before it forks, by name (the rule of
    /// service names); workers get them as `listeners[name]`. Default none.
    public var listeners: [String: ListenerConfiguration]
    /// How long the check run of an in-place upgrade (the new executable in check mode)
    /// may take before it is killed and the upgrade refused; default 30 s.
    public var upgradeCheckTimeout: Duration
    /// Whether the master keeps its declared listeners in systemd's file descriptor store
    /// (`FDSTORE=1`, the unit needs `FileDescriptorStoreMax=`), so that a restart of the
    /// daemon gets the same sockets back and no connection is refused while it restarts.
    /// Default `false`: systemd cannot tell a service whether its store is enabled.
    ///
    /// Sockets systemd hands back from the store are used whatever this says (they are
    /// the daemon's own); with `false` they are then removed from the store, so the next
    /// restart opens its listeners from the configuration. Followed at each reload; only
    /// used under systemd (`NOTIFY_SOCKET`).
    public var fileDescriptorStore: Bool

    /// The default ``upgradeCheckTimeout``: 30 seconds.
    public static let defaultUpgradeCheckTimeout: Duration = .seconds(30)
    /// The default ``gracefulShutdownTimeout``: 60 seconds.
    public static let defaultGracefulShutdownTimeout: Duration = .seconds(60)
    /// The default ``startupTimeout``: 90 seconds.
    public static let defaultStartupTimeout: Duration = .seconds(90)

    /// Creates the settings; every argument has the file's default.
    ///
    /// - Parameters:
    ///   - logLevel: the lowest level logged.
    ///   - gracefulShutdownTimeout: the time workers get to stop after `SIGTERM`.
    ///   - startupTimeout: the time the initial workers get to be ready; `nil` waits forever.
    ///   - services: the settings of each service, by name.
    ///   - controlSocket: the path of the control socket; `nil`: the manager's own choice.
    ///   - listeners: the listening sockets the master opens, by name.
    ///   - fileDescriptorStore: whether the master keeps its listeners in systemd's file descriptor store.
    ///   - upgradeCheckTimeout: the time an in-place upgrade's check run gets.
    public init(
        logLevel: Logger.Level = .info,
        gracefulShutdownTimeout: Duration = ManagerConfiguration.defaultGracefulShutdownTimeout,
        startupTimeout: Duration? = ManagerConfiguration.defaultStartupTimeout,
        services: [String: ServiceConfiguration] = [:],
        controlSocket: String? = nil,
        listeners: [String: ListenerConfiguration] = [:],
        fileDescriptorStore: Bool = false,
        upgradeCheckTimeout: Duration = ManagerConfiguration.defaultUpgradeCheckTimeout
    ) {
        self.fileDescriptorStore = fileDescriptorStore
        self.upgradeCheckTimeout = upgradeCheckTimeout
        self.controlSocket = controlSocket
        self.listeners = listeners
        self.logLevel = logLevel
        self.gracefulShutdownTimeout = gracefulShutdownTimeout
        self.startupTimeout = startupTimeout
        self.services = services
    }

    /// Whether `name` may name a service in the file: non-empty, only `a-z`, `0-9`, `_` and `-`.
    /// The same rule ``ServiceManager`` applies to the names of the services it adds.
    public static func isValidServiceName(_ name: String) -> Bool {
        ServiceName.isValid(name)
    }
}
