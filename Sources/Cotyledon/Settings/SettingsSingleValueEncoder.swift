/// A single-value container: the node's one value.
struct SettingsSingleValueEncoder: SingleValueEncodingContainer {
    /// The node the container fills.
    let node: SettingsEncodingNode
    /// The keys from the top of the settings down to the container.
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.single = .null }
    mutating func encode(_ value: Bool) throws { node.single = .bool(value) }
    mutating func encode(_ value: String) throws { node.single = .string(value) }
    mutating func encode(_ value: Double) throws { node.single = .double(value) }
    mutating func encode(_ value: Float) throws { node.single = .double(Double(value)) }
    mutating func encode(_ value: Int) throws { node.single = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { node.single = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { node.single = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { node.single = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { node.single = .int(value) }
    mutating func encode(_ value: UInt) throws { node.single = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { node.single = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { node.single = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { node.single = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { node.single = .uint(value) }
    mutating func encode<Value: Encodable>(_ value: Value) throws {
        try value.encode(to: SettingsTreeEncoder(node: node, codingPath: codingPath))
    }
}
