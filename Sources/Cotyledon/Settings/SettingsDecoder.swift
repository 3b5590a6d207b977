/// Decodes a `Decodable` value from the ``SettingsValue`` tree ``SettingsEncoder`` made.
///
/// Integers decode into any width that holds them exactly; anything else that does not
/// match is a `DecodingError` naming the coding path.
enum SettingsDecoder {
    /// The `Value` encoded in `tree`.
    static func decode<Value: Decodable>(_ type: Value.Type, from tree: SettingsValue) throws -> Value {
        try Value(from: SettingsTreeDecoder(value: tree, codingPath: []))
    }
}
