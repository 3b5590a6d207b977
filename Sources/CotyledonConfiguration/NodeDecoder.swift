/// A strict `Decoder` over a composed YAML node tree.
///
/// It records, in a shared ``NodeDecodingLedger``, every mapping
/// the model reads and every key it asks for, so the loader can reject keys nobody read;
/// it accepts a scalar only where its YAML type fits (`"2"` in quotes is not an
/// integer); and it throws ``ConfigurationError``s that carry the key path as written
/// in the file (`services.printer.workers`, `hosts[2]`).
struct NodeDecoder: Decoder {
    let node: YAMLNode
    let keyPath: [String]
    let codingPath: [any CodingKey]
    let ledger: NodeDecodingLedger

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node.content else {
            throw typeMismatch(expected: "a mapping (indented `key: value` lines)")
        }
        ledger.enter(mapping, at: keyPath, declaredKeys: NodeDecoder.declaredKeys(of: Key.self))
        return KeyedDecodingContainer(NodeKeyedDecodingContainer<Key>(decoder: self, mapping: mapping))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node.content else {
            throw typeMismatch(expected: "a list (`- item` lines or `[a, b]`)")
        }
        return NodeUnkeyedDecodingContainer(decoder: self, elements: sequence)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        NodeSingleValueDecodingContainer(decoder: self)
    }

    /// The decoder of a child node.
    func child(_ node: YAMLNode, key: String, codingKey: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, keyPath: keyPath + [key], codingPath: codingPath + [codingKey], ledger: ledger)
    }

    // MARK: Scalars

    /// Whether the node is YAML null (`~`, `null` or nothing after the colon).
    func decodeNil() -> Bool {
        node.scalar?.resolvedType == .null
    }

    /// Decodes the node as `T`, with strict rules for the standard scalar types.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Bool.Type: return try decodeBool() as! T
        case is String.Type: return try decodeString() as! T
        case is Double.Type: return try decodeFloatingPoint(Double.self) as! T
        case is Float.Type: return try decodeFloatingPoint(Float.self) as! T
        case is Int.Type: return try decodeInteger(Int.self) as! T
        case is Int8.Type: return try decodeInteger(Int8.self) as! T
        case is Int16.Type: return try decodeInteger(Int16.self) as! T
        case is Int32.Type: return try decodeInteger(Int32.self) as! T
        case is Int64.Type: return try decodeInteger(Int64.self) as! T
        case is UInt.Type: return try decodeInteger(UInt.self) as! T
        case is UInt8.Type: return try decodeInteger(UInt8.self) as! T
        case is UInt16.Type: return try decodeInteger(UInt16.self) as! T
        case is UInt32.Type: return try decodeInteger(UInt32.self) as! T
        case is UInt64.Type: return try decodeInteger(UInt64.self) as! T
        default: return try T(from: self)
        }
    }

    private func decodeBool() throws -> Bool {
        guard let scalar = node.scalar, let value = scalar.boolValue else {
            if node.scalar?.isLegacyBooleanWord == true {
                throw ConfigurationError(
                    kind: .wrongType, keyPath: keyPath,
                    problem: "expected true or false, got \(NodeDecoder.describe(node)) (YAML 1.2 reads yes, no, on and off as strings)",
                    fix: "write true or false here")
            }
            throw typeMismatch(expected: "true or false")
        }
        return value
    }

    private func decodeString() throws -> String {
        guard let scalar = node.scalar, !decodeNil() else {
            throw typeMismatch(expected: "a string")
        }
        return scalar.text
    }

    private func decodeFloatingPoint<F: BinaryFloatingPoint>(_ type: F.Type) throws -> F {
        guard let value = node.scalar?.doubleValue else {
            throw typeMismatch(expected: "a number")
        }
        return F(value)
    }

    private func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard let scalar = node.scalar, let integer = scalar.integerValue else {
            throw typeMismatch(expected: "a whole number")
        }
        guard let value = integer.signed.flatMap(I.init(exactly:)) ?? integer.unsigned.flatMap(I.init(exactly:)) else {
            throw ConfigurationError(
                kind: .invalidValue, keyPath: keyPath,
                problem: "\(ConfigurationError.excerpt(scalar.text)) is out of range (\(I.min)...\(I.max))",
                fix: "write a smaller number")
        }
        return value
    }

    // MARK: Errors

    /// A wrong-type error at this node, naming what was expected and what was found.
    func typeMismatch(expected: String) -> ConfigurationError {
        ConfigurationError(
            kind: .wrongType, keyPath: keyPath,
            problem: "expected \(expected), got \(NodeDecoder.describe(node))",
            fix: "write \(expected) here")
    }

    /// What a node is, for messages: `the string "two"`, `a list`, `null (no value)`.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            let text = ConfigurationError.excerpt(scalar.text)
            if scalar.isQuoted {
                return "the quoted string \"\(text)\""
            }
            switch scalar.resolvedType {
            case .null: return text.isEmpty ? "no value" : "null (\(text))"
            case .bool: return "the boolean \(text)"
            case .int: return "the whole number \(text)"
            case .float: return "the number \(text)"
            case .string: return "the string \"\(text)\""
            }
        }
    }

    /// Every key of a `CaseIterable` coding key type, or `nil` when the type does not list them.
    static func declaredKeys<Key: CodingKey>(of type: Key.Type) -> [String]? {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        return keyNames(of: iterable)
    }

    private static func keyNames<C: CaseIterable>(of type: C.Type) -> [String] {
        type.allCases.compactMap { ($0 as? any CodingKey)?.stringValue }
    }
}
