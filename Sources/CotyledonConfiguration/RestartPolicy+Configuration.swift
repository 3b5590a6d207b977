import Cotyledon

/// ``RestartPolicy`` in a configuration file: a mapping under a service's `restart` key.
///
/// ```yaml
/// restart:
///   minimum_uptime: 1                  # seconds
///   early_failures_before_backoff: 3
///   initial_delay: 0.1                 # seconds
///   maximum_delay: 30                  # seconds
///   jitter: 0.2                        # 0...1
///   max_restarts: 0                    # 0: never give up (default)
///   restart_window: 60                 # seconds
///   max_boot_failures: 5               # 0: never give up
/// ```
///
/// Every key is optional and defaults to `RestartPolicy.default`'s value. Decoding keeps
/// the values as written (no clamping), so ``validate()`` can reject the wrong ones.
extension RestartPolicy: Codable, ValidatableConfiguration {
    /// Decodes a policy from a mapping whose keys are all optional; durations are seconds.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = .default
        if let value = try container.decodeSecondsIfPresent(forKey: .minimumUptime) { minimumUptime = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .earlyFailuresBeforeBackoff) { earlyFailuresBeforeBackoff = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .initialDelay) { initialDelay = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .maximumDelay) { maximumDelay = value }
        if let value = try container.decodeIfPresent(Double.self, forKey: .jitter) { jitter = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .maximumRestarts) { maximumRestarts = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .restartWindow) { restartWindow = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .maximumBootFailures) { maximumBootFailures = value }
    }

    /// Encodes every field, durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeSeconds(minimumUptime, forKey: .minimumUptime)
        try container.encode(earlyFailuresBeforeBackoff, forKey: .earlyFailuresBeforeBackoff)
        try container.encodeSeconds(initialDelay, forKey: .initialDelay)
        try container.encodeSeconds(maximumDelay, forKey: .maximumDelay)
        try container.encode(jitter, forKey: .jitter)
        try container.encode(maximumRestarts, forKey: .maximumRestarts)
        try container.encodeSeconds(restartWindow, forKey: .restartWindow)
        try container.encode(maximumBootFailures, forKey: .maximumBootFailures)
    }

    /// Checks that the durations are between 0 and one day, `initial_delay` is at most
    /// `maximum_delay`, `early_failures_before_backoff` is not negative and `jitter` is in
    /// `0...1`.
    ///
    /// - Throws: ``ConfigurationError`` with the key path relative to the policy
    ///   (`initial_delay`).
    public func validate() throws(ConfigurationError) {
        do {
            try checkRules()
        } catch {
            throw ConfigurationError(error)
        }
    }
}
