import Cotyledon
import Logging

/// ``ManagerConfiguration`` in a configuration file: the top level of the file, or a
/// property of a daemon's own model.
///
/// ```swift
/// let configuration = try ConfigurationFile.load(ManagerConfiguration.self, from: path) { loaded throws(ConfigurationError) in
///     try loaded.validate(knownServices: ["printer"])
/// }
/// ```
extension ManagerConfiguration: Codable, ValidatableConfiguration {
    /// The settings' keys as a configuration file writes them.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case logLevel = "log_level"
        case gracefulShutdownTimeout = "graceful_shutdown_timeout"
        case startupTimeout = "startup_timeout"
        case services
        case controlSocket = "control_socket"
        case listeners
        case upgradeCheckTimeout = "upgrade_check_timeout"
        case fileDescriptorStore = "fd_store"
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
        if let value = try container.decodeIfPresent([String: ListenerConfiguration].self, forKey: .listeners) { listeners = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .upgradeCheckTimeout) { upgradeCheckTimeout = value }
        if let value = try container.decodeIfPresent(Bool.self, forKey: .fileDescriptorStore) { fileDescriptorStore = value }
    }

    /// Encodes every setting, durations as seconds, a `nil` startup timeout as `0`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(logLevel.rawValue, forKey: .logLevel)
        try container.encodeSeconds(gracefulShutdownTimeout, forKey: .gracefulShutdownTimeout)
        try container.encodeSeconds(startupTimeout ?? .zero, forKey: .startupTimeout)
        try container.encode(services, forKey: .services)
        try container.encodeIfPresent(controlSocket, forKey: .controlSocket)
        if !listeners.isEmpty { try container.encode(listeners, forKey: .listeners) }
        try container.encodeSeconds(upgradeCheckTimeout, forKey: .upgradeCheckTimeout)
        if fileDescriptorStore { try container.encode(true, forKey: .fileDescriptorStore) }
    }

    /// Checks the timeouts (more than 0 and at most one day), the service and listener
    /// names (non-empty, only `a-z`, `0-9`, `_` and `-`), and each service's and listener's
    /// settings. Which services and listeners exist is known to the daemon only:
    /// ``validate(knownServices:knownListeners:)`` checks them too.
    ///
    /// - Throws: ``ConfigurationError`` with the key path from the top of this model
    ///   (`services.printer.workers`); services are checked in name order.
    public func validate() throws(ConfigurationError) {
        try validate(knownListeners: nil)
    }

    /// ``validate()``, and with `knownListeners` that services name only the file's
    /// listeners and those.
    private func validate(knownListeners: [String]?) throws(ConfigurationError) {
        do {
            try checkRules(knownListeners: knownListeners)
        } catch {
            throw ConfigurationError(error)
        }
    }

    /// The rules ``validate()`` checks, with key paths from the top of this model; with
    /// `knownListeners`, that services name only the file's listeners and those.
    private func checkRules(knownListeners: [String]?) throws(ConfigurationRuleViolation) {
        try ServiceConfiguration.validateTimeout(gracefulShutdownTimeout, key: CodingKeys.gracefulShutdownTimeout.rawValue)
        if let controlSocket, !controlSocket.hasPrefix("/") || controlSocket.utf8.count > 107 {
            throw .invalidValue([CodingKeys.controlSocket.rawValue], "must be an absolute path of at most 107 bytes, got \"\(controlSocket)\"",
                                fix: "set an absolute path such as /run/cotyledon-demo/control.sock")
        }
        if let startupTimeout {
            try ServiceConfiguration.validateTimeout(startupTimeout, key: CodingKeys.startupTimeout.rawValue)
        }
        try ServiceConfiguration.validateTimeout(upgradeCheckTimeout, key: CodingKeys.upgradeCheckTimeout.rawValue)
        for name in services.keys.sorted() {
            let keyPath = [CodingKeys.services.rawValue, name]
            guard ManagerConfiguration.isValidServiceName(name) else {
                throw .invalidValue(
                    keyPath, "'\(ConfigurationError.excerpt(name))' is not a valid service name: use only a-z, 0-9, '_' and '-'",
                    fix: "rename it to the name the daemon gives the service")
            }
            do {
                try services[name]!.checkRules()
            } catch {
                throw error.nested(under: keyPath)
            }
        }
        try ManagerConfiguration.checkListenerRules(listeners: listeners, services: services, declared: knownListeners.map(Set.init),
                                                    key: CodingKeys.listeners.rawValue, servicesKey: CodingKeys.services.rawValue)
    }

    /// Checks that every service in the file is one the daemon runs and names only
    /// listeners the file or the daemon's code declares, then ``validate()``.
    ///
    /// ```swift
    /// try loaded.validate(knownServices: ["web"], knownListeners: ["admin"])  // addListener("admin", …)
    /// ```
    ///
    /// - Parameters:
    ///   - knownServices: the names of the daemon's services, in the order messages should
    ///     list them.
    ///   - knownListeners: the names of the listeners the daemon adds in code with
    ///     `ServiceManager.addListener(_:_:)`, which the file's services may name; default none.
    /// - Throws: ``ConfigurationError``; an unknown service reads
    ///   `services.foo: unknown service 'foo': this daemon runs printer, echo — …`.
    public func validate(knownServices: some Sequence<String>, knownListeners: some Sequence<String> = [String]()) throws(ConfigurationError) {
        let known = Array(knownServices)
        for name in services.keys.sorted() where !known.contains(name) {
            var problem = "unknown service '\(ConfigurationError.excerpt(name))': this daemon runs \(known.isEmpty ? "no services" : known.joined(separator: ", "))"
            if let suggestion = KeySuggestion.closest(to: name, among: known) { problem += " (did you mean '\(suggestion)'?)" }
            throw ConfigurationError.invalidValue([CodingKeys.services.rawValue, name], problem, fix: "remove it or correct its name")
        }
        try validate(knownListeners: Array(knownListeners))
    }
}
