/// The `Decoder` handed to each value's `init(from:)`.
struct SettingsTreeDecoder: Decoder {
    /// The value to decode.
    let value: SettingsValue
    /// The keys from the top of the settings down to this value.
    let codingPath: [any CodingKey]
    /// None: settings decode the same way everywhere.
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .keyed(let values) = value else { throw mismatch([String: SettingsValue].self) }
        return KeyedDecodingContainer(SettingsKeyedDecoder<Key>(values: values, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let values) = value else { throw mismatch([SettingsValue].self) }
        return SettingsUnkeyedDecoder(values: values, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    /// The error for a value of another kind than `type`.
    func mismatch(_ type: Any.Type) -> DecodingError {
        .typeMismatch(type, DecodingError.Context(codingPath: codingPath, debugDescription: "expected \(type), found \(value.kind)"))
    }
}
