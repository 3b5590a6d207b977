/// One value being encoded: what its containers wrote so far.
final class SettingsEncodingNode {
    /// The value of a single-value container.
    var single: SettingsValue?
    /// The entries of a keyed container, once one was asked for.
    var keyed: [String: SettingsEncodingNode]?
    /// The elements of an unkeyed container, once one was asked for.
    var unkeyed: [SettingsEncodingNode]?

    /// The finished value; a value that asked for no container encodes as an empty keyed one.
    var value: SettingsValue {
        if let unkeyed { return .array(unkeyed.map(\.value)) }
        if let keyed { return .keyed(keyed.mapValues(\.value)) }
        return single ?? .keyed([:])
    }

    /// An empty node.
    init() {}

    /// A node holding one primitive value.
    init(leaf value: SettingsValue) {
        single = value
    }

    /// `value` encoded into a new node at `codingPath`.
    static func encoding<Value: Encodable>(_ value: Value, at codingPath: [any CodingKey]) throws -> SettingsEncodingNode {
        let node = SettingsEncodingNode()
        try value.encode(to: SettingsTreeEncoder(node: node, codingPath: codingPath))
        return node
    }
}
