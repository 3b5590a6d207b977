/// Reads the `key=value` fields that end a daemon's log line, as `CotyledonLogHandler`
/// writes them (logfmt): a plain value as it is, any other in double quotes with the
/// escapes of a JSON string (`\"`, `\\`, `\n`, `\t`, `\u001b`…).
enum LogfmtFields {
    /// Where the fields of `text` start and what they hold: the first word of `text`
    /// from which everything to the end reads as fields. `nil` when it ends in none.
    static func split(_ text: Substring) -> (fieldsStart: String.Index, fields: [(key: String, value: String)])? {
        var start = text.startIndex
        while start < text.endIndex {
            if startsWithKey(text[start...]), let fields = parse(text[start...]) {
                return (start, fields)
            }
            guard let space = text[start...].firstIndex(of: " ") else { return nil }
            start = text.index(after: space)
        }
        return nil
    }

    /// Every field of `text` in order, or `nil` unless `text` is nothing but fields
    /// separated by single spaces.
    static func parse(_ text: Substring) -> [(key: String, value: String)]? {
        var fields: [(key: String, value: String)] = []
        var rest = text
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), isKey(rest[..<equals]) else { return nil }
            let key = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
            guard let (value, after) = rest.first == "\"" ? quoted(rest) : plain(rest) else { return nil }
            fields.append((key, value))
            rest = after
            if !rest.isEmpty {
                guard rest.first == " " else { return nil }
                rest = rest.dropFirst()
            }
        }
        return fields.isEmpty ? nil : fields
    }

    /// A plain value: up to the next space, without `"`, `=` or `\`.
    private static func plain(_ text: Substring) -> (String, Substring)? {
        let end = text.firstIndex(of: " ") ?? text.endIndex
        let value = text[..<end]
        guard !value.isEmpty, !value.contains(where: { $0 == "\"" || $0 == "=" || $0 == "\\" }) else { return nil }
        return (String(value), text[end...])
    }

    /// A quoted value starting at `text`'s first character, unescaped, and what follows
    /// its closing quote.
    private static func quoted(_ text: Substring) -> (String, Substring)? {
        var value = ""
        var scalars = text.unicodeScalars.dropFirst()
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\"":
                return (value, Substring(scalars))
            case "\\":
                guard let escape = scalars.popFirst() else { return nil }
                switch escape {
                case "\"", "\\", "/": value.unicodeScalars.append(escape)
                case "n": value += "\n"
                case "r": value += "\r"
                case "t": value += "\t"
                case "b": value += "\u{8}"
                case "f": value += "\u{c}"
                case "u":
                    var hex = ""
                    hex.unicodeScalars.append(contentsOf: scalars.prefix(4))
                    guard hex.count == 4, let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) else { return nil }
                    value.unicodeScalars.append(decoded)
                    scalars = scalars.dropFirst(4)
                default: return nil
                }
            default:
                value.unicodeScalars.append(scalar)
            }
        }
        return nil
    }

    /// Whether `text` starts with a key and `=`.
    private static func startsWithKey(_ text: Substring) -> Bool {
        guard let equals = text.firstIndex(where: { $0 == "=" || $0 == " " }), text[equals] == "=" else { return false }
        return isKey(text[..<equals])
    }

    private static func isKey(_ text: Substring) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }
}
