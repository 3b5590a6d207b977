/// The `Encoder` handed to each value's `encode(to:)`.
struct SettingsTreeEncoder: Encoder {
    /// Where the value's containers write.
    let node: SettingsEncodingNode
    /// The keys from the top of the settings down to this value.
    let codingPath: [any CodingKey]
    /// None: settings encode the same way everywhere.
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.keyed == nil { node.keyed = [:] }
        return KeyedEncodingContainer(SettingsKeyedEncoder<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.unkeyed == nil { node.unkeyed = [] }
        return SettingsUnkeyedEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SettingsSingleValueEncoder(node: node, codingPath: codingPath)
    }
}
