/// A keyed container: each key gets a node of its own.
struct SettingsKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    /// The node the container fills.
    let node: SettingsEncodingNode
    /// The keys from the top of the settings down to the container.
    let codingPath: [any CodingKey]

    private func put(_ child: SettingsEncodingNode, _ key: Key) { node.keyed?[key.stringValue] = child }

    mutating func encodeNil(forKey key: Key) throws { put(SettingsEncodingNode(leaf: .null), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .bool(value)), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .string(value)), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .double(value)), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .double(Double(value))), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .int(Int64(value))), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .int(Int64(value))), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .int(Int64(value))), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .int(Int64(value))), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .int(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .uint(UInt64(value))), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .uint(UInt64(value))), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .uint(UInt64(value))), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .uint(UInt64(value))), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(SettingsEncodingNode(leaf: .uint(value)), key) }
    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        put(try SettingsEncodingNode.encoding(value, at: codingPath + [key]), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        superEncoder(forKey: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        superEncoder(forKey: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        childEncoder(named: "super", codingKey: SettingsCodingKey(stringValue: "super"))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        childEncoder(named: key.stringValue, codingKey: key)
    }

    private func childEncoder(named name: String, codingKey: any CodingKey) -> any Encoder {
        let child = SettingsEncodingNode()
        node.keyed?[name] = child
        return SettingsTreeEncoder(node: child, codingPath: codingPath + [codingKey])
    }
}
