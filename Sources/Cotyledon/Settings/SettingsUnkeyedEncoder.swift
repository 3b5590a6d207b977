/// An unkeyed container: each element gets a node of its own.
struct SettingsUnkeyedEncoder: UnkeyedEncodingContainer {
    /// The node the container fills.
    let node: SettingsEncodingNode
    /// The keys from the top of the settings down to the container.
    let codingPath: [any CodingKey]
    var count: Int { node.unkeyed?.count ?? 0 }

    private var nextKey: any CodingKey { SettingsCodingKey(intValue: count) }
    private func append(_ child: SettingsEncodingNode) { node.unkeyed?.append(child) }

    mutating func encodeNil() throws { append(SettingsEncodingNode(leaf: .null)) }
    mutating func encode(_ value: Bool) throws { append(SettingsEncodingNode(leaf: .bool(value))) }
    mutating func encode(_ value: String) throws { append(SettingsEncodingNode(leaf: .string(value))) }
    mutating func encode(_ value: Double) throws { append(SettingsEncodingNode(leaf: .double(value))) }
    mutating func encode(_ value: Float) throws { append(SettingsEncodingNode(leaf: .double(Double(value)))) }
    mutating func encode(_ value: Int) throws { append(SettingsEncodingNode(leaf: .int(Int64(value)))) }
    mutating func encode(_ value: Int8) throws { append(SettingsEncodingNode(leaf: .int(Int64(value)))) }
    mutating func encode(_ value: Int16) throws { append(SettingsEncodingNode(leaf: .int(Int64(value)))) }
    mutating func encode(_ value: Int32) throws { append(SettingsEncodingNode(leaf: .int(Int64(value)))) }
    mutating func encode(_ value: Int64) throws { append(SettingsEncodingNode(leaf: .int(value))) }
    mutating func encode(_ value: UInt) throws { append(SettingsEncodingNode(leaf: .uint(UInt64(value)))) }
    mutating func encode(_ value: UInt8) throws { append(SettingsEncodingNode(leaf: .uint(UInt64(value)))) }
    mutating func encode(_ value: UInt16) throws { append(SettingsEncodingNode(leaf: .uint(UInt64(value)))) }
    mutating func encode(_ value: UInt32) throws { append(SettingsEncodingNode(leaf: .uint(UInt64(value)))) }
    mutating func encode(_ value: UInt64) throws { append(SettingsEncodingNode(leaf: .uint(value))) }
    mutating func encode<Value: Encodable>(_ value: Value) throws {
        append(try SettingsEncodingNode.encoding(value, at: codingPath + [nextKey]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        superEncoder().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        superEncoder().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let key = nextKey
        let child = SettingsEncodingNode()
        append(child)
        return SettingsTreeEncoder(node: child, codingPath: codingPath + [key])
    }
}
