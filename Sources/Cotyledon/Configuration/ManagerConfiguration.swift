import Logging

/// The manager-level settings of a configuration file and the settings of each service.
///
/// ```yaml
/// log_level: info                   # trace, debug, info, notice, warning, error, critical
/// graceful_shutdown_timeout: 60     # seconds
/// startup_timeout: 90               # seconds; 0 = wait forever
/// services:
///   printer:
///     workers: 2
/// ```
///
/// Every key is optional. Use it as a whole file
/// (`ConfigurationFile.load(ManagerConfiguration.self, from: path) { loaded throws(ConfigurationError) in try loaded.validate(knownServices: ["printer"]) }`)
/// or as a property of a daemon's own model.
public struct ManagerConfiguration: Codable, Equatable, Sendable, ValidatableConfiguration {
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
    public init(
        logLevel: Logger.Level = .info,
        gracefulShutdownTimeout: Duration = ManagerConfiguration.defaultGracefulShutdownTimeout,
        startupTimeout: Duration? = ManagerConfiguration.defaultStartupTimeout,
        services: [String: ServiceConfiguration] = [:],
        controlSocket: String? = nil
    ) {
        self.controlSocket = controlSocket
        self.logLevel = logLevel
        self.gracefulShutdownTimeout = gracefulShutdownTimeout
        self.startupTimeout = startupTimeout
        self.services = services
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case logLevel = "log_level"
        case gracefulShutdownTimeout = "graceful_shutdown_timeout"
        case startupTimeout = "startup_timeout"
        case services
        case controlSocket = "control_socket"
    }

    /// Decodes the settings; every key is optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if let name = try container.decodeIfPresent(String.self, forKey: .logLevel) {
            guard let level = Logger.Level(rawValue: name) else {
                let levels = Logger.Level.allCases.map(\.rawValue)
                var problem = "'\(ConfigurationError.excerpt(name))' is not a log level"
                if let suggestion = KeySuggestion.closest(to: name.lowercased(), among: levels) { problem += " (did you mean '\(suggestion)'?)" }
                throw ConfigurationError.invalidValue(ConfigurationFile.keyPath(container.codingPath + [CodingKeys.logLevel]), problem,
                                                      fix: "use one of \(levels.joined(separator: ", "))")
            }
            logLevel = level
        }
        if let value = try container.decodeSecondsIfPresent(forKey: .gracefulShutdownTimeout) { gracefulShutdownTimeout = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .startupTimeout) { startupTimeout = value == .zero ? nil : value }
        if let value = try container.decodeIfPresent([String: ServiceConfiguration].self, forKey: .services) { services = value }
        controlSocket = try container.decodeIfPresent(String.self, forKey: .controlSocket)
    }

    /// Encodes every setting, durations as seconds, a `nil` startup timeout as `0`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(logLevel.rawValue, forKey: .logLevel)
        try container.encodeSeconds(gracefulShutdownTimeout, forKey: .gracefulShutdownTimeout)
        try container.encodeSeconds(startupTimeout ?? .zero, forKey: .startupTimeout)
        try container.encode(services, forKey: .services)
        try container.encodeIfPresent(controlSocket, forKey: .controlSocket)
    }

    /// Checks the timeouts (more than 0 and at most one day), the service names
    /// (non-empty, only `a-z`, `0-9`, `_` and `-`) and each service's settings.
    ///
    /// - Throws: ``ConfigurationError`` with the key path from the top of this model
    ///   (`services.printer.workers`); services are checked in name order.
    public func validate() throws(ConfigurationError) {
        try ServiceConfiguration.validateTimeout(gracefulShutdownTimeout, key: CodingKeys.gracefulShutdownTimeout.rawValue)
        if let controlSocket, !controlSocket.hasPrefix("/") || controlSocket.utf8.count > 107 {
            throw .invalidValue([CodingKeys.controlSocket.rawValue], "must be an absolute path of at most 107 bytes, got \"\(controlSocket)\"",
                                fix: "set an absolute path such as /run/cotyledon-demo/control.sock")
        }
        if let startupTimeout {
            try ServiceConfiguration.validateTimeout(startupTimeout, key: CodingKeys.startupTimeout.rawValue)
        }
        for name in services.keys.sorted() {
            let keyPath = [CodingKeys.services.rawValue, name]
            guard ManagerConfiguration.isValidServiceName(name) else {
                throw ConfigurationError.invalidValue(
                    keyPath, "'\(ConfigurationError.excerpt(name))' is not a valid service name: use only a-z, 0-9, '_' and '-'",
                    fix: "rename it to the name the daemon gives the service")
            }
            do {
                try services[name]!.validate()
            } catch {
                throw error.nested(under: keyPath)
            }
        }
    }

    /// Checks that every service in the file is one the daemon runs, then ``validate()``.
    ///
    /// - Parameter knownServices: the names of the daemon's services, in the order
    ///   messages should list them.
    /// - Throws: ``ConfigurationError``; an unknown service reads
    ///   `services.foo: unknown service 'foo': this daemon runs printer, echo — …`.
    public func validate(knownServices: some Sequence<String>) throws(ConfigurationError) {
        let known = Array(knownServices)
        for name in services.keys.sorted() where !known.contains(name) {
            var problem = "unknown service '\(ConfigurationError.excerpt(name))': this daemon runs \(known.isEmpty ? "no services" : known.joined(separator: ", "))"
            if let suggestion = KeySuggestion.closest(to: name, among: known) { problem += " (did you mean '\(suggestion)'?)" }
            throw ConfigurationError.invalidValue([CodingKeys.services.rawValue, name], problem, fix: "remove it or correct its name")
        }
        try validate()
    }

    /// Whether `name` may name a service in the file: non-empty, only `a-z`, `0-9`, `_` and `-`.
    public static func isValidServiceName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }
}
