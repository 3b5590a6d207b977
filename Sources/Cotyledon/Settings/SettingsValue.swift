/// A settings value as the snapshot holds it: the few kinds `Codable` produces, as a tree.
///
/// Exact for every integer width, `Double` and `Float` (kept as their bit patterns) and
/// strings; ``SettingsEncoder`` builds it, ``SettingsDecoder`` reads it back, and
/// ``bytes`` is what the master publishes in the ``SettingsRegion``.
enum SettingsValue: Equatable {
    /// `nil` (an optional encoded with `encodeNil`).
    case null
    /// A boolean.
    case bool(Bool)
    /// A signed integer of any width.
    case int(Int64)
    /// An unsigned integer of any width.
    case uint(UInt64)
    /// A `Double` or `Float`.
    case double(Double)
    /// A string.
    case string(String)
    /// An unkeyed container.
    case array([SettingsValue])
    /// A keyed container (a struct's properties, a dictionary keyed by `String` or `Int`).
    case keyed([String: SettingsValue])

    /// A short name of the kind, for decoding errors.
    var kind: String {
        switch self {
        case .null: "nil"
        case .bool: "a boolean"
        case .int, .uint: "an integer"
        case .double: "a floating-point number"
        case .string: "a string"
        case .array: "an unkeyed container"
        case .keyed: "a keyed container"
        }
    }
}
