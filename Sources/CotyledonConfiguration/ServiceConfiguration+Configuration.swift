import Cotyledon

/// ``ServiceConfiguration`` in a configuration file: a mapping under `services.<name>` in
/// ``ManagerConfiguration``, or anywhere in a daemon's own model.
///
/// Only `workers` is required; durations are numbers of seconds. ``validate()`` checks the
/// rules, with key paths relative to this mapping.
extension ServiceConfiguration: Codable, ValidatableConfiguration {
    /// Decodes the settings; `workers` is required, every other key optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(workers: try container.decode(Int.self, forKey: .workers))
        if let value = try container.decodeIfPresent(Int.self, forKey: .minWorkers) { minWorkers = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .maxWorkers) { maxWorkers = value }
        gracefulShutdownTimeout = try container.decodeSecondsIfPresent(forKey: .gracefulShutdownTimeout)
        if let value = try container.decodeSecondsIfPresent(forKey: .readinessTimeout) { readinessTimeout = value }
        if let value = try container.decodeIfPresent(RestartPolicy.self, forKey: .restart) { restart = value }
        heartbeatTimeout = try container.decodeSecondsIfPresent(forKey: .heartbeatTimeout)
        maxLifetime = try container.decodeSecondsIfPresent(forKey: .maxLifetime)
        if let value = try container.decodeIfPresent(Double.self, forKey: .lifetimeJitter) { lifetimeJitter = value }
        listeners = try container.decodeIfPresent([String].self, forKey: .listeners)
    }

    /// Encodes every setting, durations as seconds; a `nil` graceful timeout is left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(workers, forKey: .workers)
        try container.encode(minWorkers, forKey: .minWorkers)
        try container.encode(maxWorkers, forKey: .maxWorkers)
        if let gracefulShutdownTimeout { try container.encodeSeconds(gracefulShutdownTimeout, forKey: .gracefulShutdownTimeout) }
        try container.encodeSeconds(readinessTimeout, forKey: .readinessTimeout)
        try container.encode(restart, forKey: .restart)
        if let heartbeatTimeout { try container.encodeSeconds(heartbeatTimeout, forKey: .heartbeatTimeout) }
        if let maxLifetime { try container.encodeSeconds(maxLifetime, forKey: .maxLifetime) }
        try container.encode(lifetimeJitter, forKey: .lifetimeJitter)
        try container.encodeIfPresent(listeners, forKey: .listeners)
    }

    /// Checks that `workers`, `min_workers` and `max_workers` are in
    /// `1...ServiceManager.maximumWorkers` with `min_workers <= workers <= max_workers`,
    /// that the timeouts are more than 0 and at most one day, the `restart` policy, and
    /// that `listeners` holds valid names, each once.
    ///
    /// - Throws: ``ConfigurationError`` with the key path relative to this mapping (`workers`).
    public func validate() throws(ConfigurationError) {
        do {
            try checkRules()
        } catch {
            throw ConfigurationError(error)
        }
    }
}
