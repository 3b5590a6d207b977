/// A manager-level setting that a reload changes, with its old and new values.
public struct ConfigurationValueChange<Value: Equatable & Sendable>: Equatable, Sendable {
    /// The value before the reload.
    public var from: Value
    /// The value after the reload.
    public var to: Value

    /// Creates a change from `from` to `to`.
    public init(from: Value, to: Value) {
        self.from = from
        self.to = to
    }

    /// The change, or `nil` when the values are equal.
    static func between(_ old: Value, _ new: Value) -> ConfigurationValueChange? {
        old == new ? nil : ConfigurationValueChange(from: old, to: new)
    }
}
