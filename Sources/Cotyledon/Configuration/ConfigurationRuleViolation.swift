/// A setting that breaks a rule of its type (a count out of range, a timeout longer than a
/// day): the key path of the setting as a configuration file writes it, relative to the value
/// checked, what is wrong and what to do.
///
/// ``ServiceManager`` reports it for the settings of a service it adds; the configuration
/// reader (the `CotyledonConfiguration` module) turns it into an error located in the file.
package struct ConfigurationRuleViolation: Error, Equatable, CustomStringConvertible {
    /// The keys leading to the setting at fault, relative to the value checked: `["workers"]`,
    /// `["restart", "jitter"]`.
    package var keyPath: [String]
    /// What is wrong, e.g. `must be between 1 and 10000, got 0`.
    package var problem: String
    /// What to do about it, e.g. `set a count in that range`.
    package var fix: String

    /// A setting at `keyPath` that breaks a rule.
    ///
    /// - Parameters:
    ///   - keyPath: the keys of the setting at fault, relative to the value checked.
    ///   - problem: what is wrong.
    ///   - fix: what to do.
    package static func invalidValue(_ keyPath: [String], _ problem: String, fix: String) -> ConfigurationRuleViolation {
        ConfigurationRuleViolation(keyPath: keyPath, problem: problem, fix: fix)
    }

    /// The same violation for a value that sits under `prefix` in a larger one: `workers`
    /// of a service becomes `services.printer.workers`.
    package func nested(under prefix: [String]) -> ConfigurationRuleViolation {
        ConfigurationRuleViolation(keyPath: prefix + keyPath, problem: problem, fix: fix)
    }

    /// `key.path: problem — fix`, as a configuration error without a file reads (the keys
    /// are the types' own, short, key names).
    package var description: String {
        (keyPath.isEmpty ? "" : keyPath.joined(separator: ".") + ": ") + "\(problem) — \(fix)"
    }
}
