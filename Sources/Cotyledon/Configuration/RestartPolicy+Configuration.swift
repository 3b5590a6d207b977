/// ``RestartPolicy`` in a configuration file: a mapping under a service's `restart` key.
///
/// ```yaml
/// restart:
///   minimum_uptime: 1                  # seconds
///   early_failures_before_backoff: 3
///   initial_delay: 0.1                 # seconds
///   maximum_delay: 30                  # seconds
///   jitter: 0.2                        # 0...1
/// ```
///
/// Every key is optional and defaults to ``RestartPolicy/default``'s value. Decoding keeps
/// the values as written (no clamping), so ``validate()`` can reject the wrong ones.
extension RestartPolicy: Codable, ValidatableConfiguration {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case minimumUptime = "minimum_uptime"
        case earlyFailuresBeforeBackoff = "early_failures_before_backoff"
        case initialDelay = "initial_delay"
        case maximumDelay = "maximum_delay"
        case jitter
    }

    /// Decodes a policy from a mapping whose keys are all optional; durations are seconds.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = .default
        if let value = try container.decodeSecondsIfPresent(forKey: .minimumUptime) { minimumUptime = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .earlyFailuresBeforeBackoff) { earlyFailuresBeforeBackoff = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .initialDelay) { initialDelay = value }
        if let value = try container.decodeSecondsIfPresent(forKey: .maximumDelay) { maximumDelay = value }
        if let value = try container.decodeIfPresent(Double.self, forKey: .jitter) { jitter = value }
    }

    /// Encodes every field, durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeSeconds(minimumUptime, forKey: .minimumUptime)
        try container.encode(earlyFailuresBeforeBackoff, forKey: .earlyFailuresBeforeBackoff)
        try container.encodeSeconds(initialDelay, forKey: .initialDelay)
        try container.encodeSeconds(maximumDelay, forKey: .maximumDelay)
        try container.encode(jitter, forKey: .jitter)
    }

    /// Checks that the durations are between 0 and one day, `initial_delay` is at most
    /// `maximum_delay`, `early_failures_before_backoff` is not negative and `jitter` is in
    /// `0...1`.
    ///
    /// - Throws: ``ConfigurationError`` with the key path relative to the policy
    ///   (`initial_delay`).
    public func validate() throws(ConfigurationError) {
        for (key, value) in [(CodingKeys.minimumUptime, minimumUptime), (.initialDelay, initialDelay), (.maximumDelay, maximumDelay)] {
            guard value >= .zero, value <= .maximumConfiguredTimeout else {
                throw .invalidValue([key.rawValue], "must be between 0 and 86400 seconds (one day), got \(value.configurationSeconds)",
                                    fix: "set a number of seconds in that range")
            }
        }
        guard initialDelay <= maximumDelay else {
            throw .invalidValue([CodingKeys.initialDelay.rawValue],
                                "\(initialDelay.configurationSeconds) s is longer than maximum_delay (\(maximumDelay.configurationSeconds) s)",
                                fix: "lower initial_delay or raise maximum_delay")
        }
        guard earlyFailuresBeforeBackoff >= 0 else {
            throw .invalidValue([CodingKeys.earlyFailuresBeforeBackoff.rawValue], "must be 0 or more, got \(earlyFailuresBeforeBackoff)",
                                fix: "set how many early failures in a row are respawned at once, e.g. 3")
        }
        guard (0...1).contains(jitter) else {
            throw .invalidValue([CodingKeys.jitter.rawValue], "must be between 0 and 1, got \(RestartPolicy.text(jitter))",
                                fix: "set the relative spread of each delay, e.g. 0.2 for ±20 %")
        }
    }

    /// A number as written in a file: `3`, not `3.0`.
    private static func text(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return "\(Int64(value))" }
        return "\(value)"
    }
}
