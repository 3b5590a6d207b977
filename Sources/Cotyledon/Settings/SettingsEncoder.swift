/// Encodes any `Encodable` value into a ``SettingsValue`` tree, without Foundation (the
/// master uses it, and links no Foundation: ARCHITECTURE.md § Fork safety).
///
/// Every integer width, `Double`, `Float`, `Bool`, `String`, `nil`, unkeyed and keyed
/// containers and `super` encoders are kept exactly; ``SettingsDecoder`` reads them back.
enum SettingsEncoder {
    /// The tree of `value`.
    ///
    /// - Throws: what `value.encode(to:)` throws.
    static func encode<Value: Encodable>(_ value: Value) throws -> SettingsValue {
        let root = SettingsEncodingNode()
        try value.encode(to: SettingsTreeEncoder(node: root, codingPath: []))
        return root.value
    }
}
