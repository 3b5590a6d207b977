/// The rules of a ``RestartPolicy``'s settings, checked for every service ``ServiceManager``
/// adds and for every policy read from a configuration file, where the policy is the mapping
/// under a service's `restart` key.
extension RestartPolicy {
    /// The policy's keys as a configuration file writes them.
    package enum CodingKeys: String, CodingKey, CaseIterable {
        case minimumUptime = "minimum_uptime"
        case earlyFailuresBeforeBackoff = "early_failures_before_backoff"
        case initialDelay = "initial_delay"
        case maximumDelay = "maximum_delay"
        case jitter
        case maximumRestarts = "max_restarts"
        case restartWindow = "restart_window"
        case maximumBootFailures = "max_boot_failures"
    }

    /// Checks that the durations are between 0 and one day, `initial_delay` is at most
    /// `maximum_delay`, `early_failures_before_backoff` is not negative and `jitter` is in
    /// `0...1`.
    ///
    /// - Throws: the first rule broken, with the key path relative to the policy
    ///   (`initial_delay`).
    package func checkRules() throws(ConfigurationRuleViolation) {
        for (key, value) in [(CodingKeys.minimumUptime, minimumUptime), (.initialDelay, initialDelay), (.maximumDelay, maximumDelay),
                             (.restartWindow, restartWindow)] {
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
        for (key, value) in [(CodingKeys.maximumRestarts, maximumRestarts), (.maximumBootFailures, maximumBootFailures)] {
            guard value >= 0 else {
                throw .invalidValue([key.rawValue], "must be 0 (no limit) or more, got \(value)",
                                    fix: "set how many failures the daemon tolerates before it gives up, or 0")
            }
        }
        guard maximumRestarts == 0 || restartWindow > .zero else {
            throw .invalidValue([CodingKeys.restartWindow.rawValue], "must be more than 0 seconds when max_restarts is set",
                                fix: "set the window in which max_restarts restarts are tolerated, e.g. 60")
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
