/// A JSON value, parsed and printed with the standard library alone: the control protocol
/// is served from the master's loop, which must not bring Foundation into the master (its
/// memory and the mappings every fork copies), and `cotyledonctl` starts faster without it.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members by name; printing sorts them.
    case object([String: JSONValue])

    /// A whole number.
    public static func integer<I: BinaryInteger>(_ value: I) -> JSONValue {
        .number(Double(value))
    }

    /// The member `key` of an object; `nil` for a missing member or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, if the value is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, if the value is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number, if the value is one.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number, if the value is a whole one that `Int` holds exactly.
    public var integerValue: Int? {
        guard case .number(let value) = self, value == value.rounded(), value.magnitude <= 9_007_199_254_740_992 else { return nil }
        return Int(value)
    }

    /// The elements, if the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The value as compact JSON text, object members sorted by name.
    public var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null:
            output += "null"
        case .bool(let value):
            output += value ? "true" : "false"
        case .number(let value):
            if !value.isFinite {
                output += "null"
            } else if value == value.rounded(), value.magnitude < 1e15 {
                output += String(Int64(value))
            } else {
                output += String(value)
            }
        case .string(let value):
            JSONValue.writeString(value, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                JSONValue.writeString(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" || scalar.value < 0x20 {
                EscapedText.appendEscape(of: scalar, to: &output)
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
