/// The small part of JSON the driver protocol needs: parsing commands and writing events.
///
/// Numbers are kept as `Double`; the driver only ever parses strings, arrays and objects.
enum JSONValue: Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.encoded() == rhs.encoded()
    }

    /// The member named `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The value as a string, if it is one.
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as an array of strings, if it is one.
    var stringArray: [String]? {
        guard case .array(let elements) = self else { return nil }
        var result: [String] = []
        for element in elements {
            guard let string = element.stringValue else { return nil }
            result.append(string)
        }
        return result
    }

    /// Compact JSON text for the value, on one line.
    func encoded() -> String {
        switch self {
        case .string(let value):
            return Self.quote(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .bool(let value):
            return value ? "true" : "false"
        case .null:
            return "null"
        case .array(let elements):
            return "[" + elements.map { $0.encoded() }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quote($0.0) + ":" + $0.1.encoded() }.joined(separator: ",") + "}"
        }
    }

    private static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Parses one JSON value that spans all of `text` (surrounding whitespace allowed).
    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == parser.scalars.count else { throw JSONParseError(offset: parser.index) }
        return value
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0

        mutating func skipWhitespace() {
            while index < scalars.count, [" ", "\t", "\n", "\r"].contains(scalars[index]) { index += 1 }
        }

        mutating func expect(_ scalar: Unicode.Scalar) throws(JSONParseError) {
            skipWhitespace()
            guard index < scalars.count, scalars[index] == scalar else { throw JSONParseError(offset: index) }
            index += 1
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
            for scalar in word.unicodeScalars {
                guard index < scalars.count, scalars[index] == scalar else { throw JSONParseError(offset: index) }
                index += 1
            }
            return value
        }

        mutating func value() throws(JSONParseError) -> JSONValue {
            skipWhitespace()
            guard index < scalars.count else { throw JSONParseError(offset: index) }
            switch scalars[index] {
            case "\"": return .string(try string())
            case "[":
                index += 1
                var elements: [JSONValue] = []
                skipWhitespace()
                if index < scalars.count, scalars[index] == "]" { index += 1; return .array(elements) }
                while true {
                    elements.append(try value())
                    skipWhitespace()
                    guard index < scalars.count else { throw JSONParseError(offset: index) }
                    if scalars[index] == "]" { index += 1; return .array(elements) }
                    try expect(",")
                }
            case "{":
                index += 1
                var members: [(String, JSONValue)] = []
                skipWhitespace()
                if index < scalars.count, scalars[index] == "}" { index += 1; return .object(members) }
                while true {
                    skipWhitespace()
                    guard index < scalars.count, scalars[index] == "\"" else { throw JSONParseError(offset: index) }
                    let key = try string()
                    try expect(":")
                    members.append((key, try value()))
                    skipWhitespace()
                    guard index < scalars.count else { throw JSONParseError(offset: index) }
                    if scalars[index] == "}" { index += 1; return .object(members) }
                    try expect(",")
                }
            case "t": return try literal("true", .bool(true))
            case "f": return try literal("false", .bool(false))
            case "n": return try literal("null", .null)
            default:
                let start = index
                while index < scalars.count, "+-.eE0123456789".unicodeScalars.contains(scalars[index]) { index += 1 }
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars[start..<index])
                guard let number = Double(text) else { throw JSONParseError(offset: start) }
                return .number(number)
            }
        }

        mutating func string() throws(JSONParseError) -> String {
            index += 1  // opening quote
            var out = String.UnicodeScalarView()
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                switch scalar {
                case "\"":
                    return String(out)
                case "\\":
                    guard index < scalars.count else { throw JSONParseError(offset: index) }
                    let escaped = scalars[index]
                    index += 1
                    switch escaped {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "b": out.append("\u{8}")
                    case "f": out.append("\u{c}")
                    case "u":
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), index + 1 < scalars.count,
                           scalars[index] == "\\", scalars[index + 1] == "u" {
                            index += 2
                            let low = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default: out.append(escaped)
                    }
                default:
                    out.append(scalar)
                }
            }
            throw JSONParseError(offset: index)
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= scalars.count else { throw JSONParseError(offset: index) }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[index..<index + 4])
            guard let code = UInt32(text, radix: 16) else { throw JSONParseError(offset: index) }
            index += 4
            return code
        }
    }
}
