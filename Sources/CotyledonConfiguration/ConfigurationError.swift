import Cotyledon

/// Why a configuration file was rejected: where (file, key path, line and column), what
/// is wrong and what to do about it.
///
/// ``description`` reads like a compiler diagnostic, so editors and terminals can jump to
/// the line:
///
/// ```
/// config/cotyledon-demo.yaml:7:5: services.printer.workers: must be between 1 and 10000, got 0 — set a count in that range
/// ```
///
/// Validation code (``ValidatableConfiguration/validate()``) creates errors that carry
/// only a ``keyPath``, with ``invalidValue(_:_:fix:)``; ``ConfigurationFile`` then fills in
/// ``file``, ``line`` and ``column`` from the place of that key in the file.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of mistake the file has, for code that reacts to some of them.
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read, is too large or is not UTF-8.
        case unreadable
        /// The file is empty or holds only comments.
        case empty
        /// The text is not valid YAML.
        case syntax
        /// A key the model does not know (a typo, or a setting from another version).
        case unknownKey
        /// A required key is absent.
        case missingKey
        /// The same key appears twice in one mapping.
        case duplicateKey
        /// A value of the wrong type (a string where a number belongs, a list where a mapping belongs…).
        case wrongType
        /// A value of the right type that breaks a rule (out of range, inconsistent with another key…).
        case invalidValue
    }

    /// What kind of mistake this is.
    public var kind: Kind
    /// The file, as it was named to ``ConfigurationFile``; `nil` for an error from
    /// validation code that has not been through the loader.
    public var file: String?
    /// The keys leading to the value at fault, from the top of the file: `["services",
    /// "printer", "workers"]`; list elements appear as `"[2]"`. Empty for the whole file.
    public var keyPath: [String]
    /// The 1-based line of the key at fault (or of its closest parent in the file), when known.
    public var line: Int?
    /// The 1-based column on ``line``, when known.
    public var column: Int?
    /// What is wrong, e.g. `must be between 1 and 10000, got 0`.
    public var problem: String
    /// What to do about it, e.g. `set a count in that range`.
    public var fix: String

    /// Creates an error; prefer ``invalidValue(_:_:fix:)`` in validation code.
    ///
    /// - Parameters:
    ///   - kind: what kind of mistake this is.
    ///   - file: the file, or `nil` when the loader fills it in.
    ///   - keyPath: the keys leading to the value at fault.
    ///   - line: the 1-based line, when known.
    ///   - column: the 1-based column, when known.
    ///   - problem: what is wrong.
    ///   - fix: what to do about it.
    public init(
        kind: Kind,
        file: String? = nil,
        keyPath: [String] = [],
        line: Int? = nil,
        column: Int? = nil,
        problem: String,
        fix: String
    ) {
        self.kind = kind
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.problem = problem
        self.fix = fix
    }

    /// An error for a value that breaks a rule, to throw from
    /// ``ValidatableConfiguration/validate()``.
    ///
    /// - Parameters:
    ///   - keyPath: the keys of the value at fault as they are written in the file,
    ///     relative to the model being validated (``nested(under:)`` adds the prefix).
    ///   - problem: what is wrong, e.g. `must be between 1 and 10000, got 0`.
    ///   - fix: what to do, e.g. `set a count in that range`.
    public static func invalidValue(_ keyPath: [String], _ problem: String, fix: String) -> ConfigurationError {
        ConfigurationError(kind: .invalidValue, keyPath: keyPath, problem: problem, fix: fix)
    }

    /// The error for a setting that breaks a rule of its type, to be located in the file.
    init(_ violation: ConfigurationRuleViolation) {
        self = .invalidValue(violation.keyPath, violation.problem, fix: violation.fix)
    }

    /// The same error for a model that sits under `prefix` in a larger one: a
    /// `ServiceConfiguration` error at `workers` becomes one at
    /// `services.printer.workers`.
    ///
    /// - Parameter prefix: the keys from the larger model's top to the nested model.
    public func nested(under prefix: [String]) -> ConfigurationError {
        var error = self
        error.keyPath = prefix + keyPath
        return error
    }

    /// The key path as written in messages: `services.printer.workers`, `hosts[2].port`.
    public var dottedKeyPath: String {
        ConfigurationError.dotted(keyPath)
    }

    /// `file:line:column: key.path: problem — fix`, leaving out the parts that are unknown.
    public var description: String {
        var location = file ?? ""
        if let line {
            location += location.isEmpty ? "line \(line)" : ":\(line)"
            if let column { location += ":\(column)" }
        }
        var parts: [String] = []
        if !location.isEmpty { parts.append(location) }
        if !keyPath.isEmpty { parts.append(dottedKeyPath) }
        parts.append("\(problem) — \(fix)")
        return parts.joined(separator: ": ")
    }

    /// The key path as written in messages, each key shortened to an ``excerpt(_:)``.
    static func dotted(_ keyPath: [String]) -> String {
        var text = ""
        for key in keyPath {
            if !text.isEmpty && !key.hasPrefix("[") { text += "." }
            text += excerpt(key)
        }
        return text
    }

    /// The longest key or value a message quotes, in characters.
    static let excerptLength = 40

    /// A key or value from the file as a message quotes it: whole up to
    /// ``excerptLength`` characters, else its start and an ellipsis, so that a huge key or
    /// value never makes a huge message (or log line).
    static func excerpt(_ text: String) -> String {
        var characters = 0
        for index in text.indices {
            characters += 1
            if characters == excerptLength + 1 {
                return String(text[..<text.index(before: index)]) + "…"
            }
        }
        return text
    }
}
