/// A scalar as written: its text after unquoting, and how it was written, which decides
/// its type (YAML 1.2 core schema: only a plain scalar can be null, a boolean or a number).
struct YAMLScalar: Equatable {
    /// How a scalar is written.
    enum Style: Equatable {
        case plain
        case singleQuoted
        case doubleQuoted
        /// `|` block scalar.
        case literal
        /// `>` block scalar.
        case folded
    }

    /// The type a scalar resolves to.
    enum ResolvedType: Equatable {
        case null
        case bool
        case int
        case float
        case string
    }

    var text: String
    var style: Style

    /// Whether the scalar is written in quotes.
    var isQuoted: Bool {
        style == .singleQuoted || style == .doubleQuoted
    }

    /// The scalar's type under the YAML 1.2 core schema: quoted and block scalars are
    /// strings; a plain scalar is null (`~`, `null`, nothing), a boolean (`true`,
    /// `false`), an integer (`12`, `-3`, `0x1F`, `0o17`), a float (`1.5`, `1e3`, `.inf`,
    /// `.nan`) or else a string.
    var resolvedType: ResolvedType {
        guard style == .plain else { return .string }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "false", "False", "FALSE": return .bool
        default: break
        }
        if YAMLScalar.isIntegerSyntax(text) { return .int }
        if YAMLScalar.isFloatSyntax(text) { return .float }
        return .string
    }

    /// The boolean of a plain `true` or `false` scalar.
    var boolValue: Bool? {
        guard style == .plain else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// Whether the text is a YAML 1.1 boolean word that YAML 1.2 reads as a string.
    var isLegacyBooleanWord: Bool {
        style == .plain && ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"].contains(text)
    }

    /// The value of a plain integer scalar that fits in 64 bits, signed or not.
    var integerValue: (signed: Int64?, unsigned: UInt64?)? {
        guard style == .plain, YAMLScalar.isIntegerSyntax(text) else { return nil }
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        }
        guard let magnitude = UInt64(digits, radix: radix) else { return (nil, nil) }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return (Int64.min, nil) }
            return (Int64(exactly: magnitude).map { -$0 }, nil)
        }
        return (Int64(exactly: magnitude), magnitude)
    }

    /// The value of a plain integer or float scalar.
    var doubleValue: Double? {
        guard style == .plain else { return nil }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        if let integer = integerValue {
            if let signed = integer.signed { return Double(signed) }
            if let unsigned = integer.unsigned { return Double(unsigned) }
        }
        guard YAMLScalar.isFloatSyntax(text) else { return nil }
        return Double(text)
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
    private static func isIntegerSyntax(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        if let first = scalars.first, first == "-" || first == "+" { scalars = scalars.dropFirst() }
        let body = String(String.UnicodeScalarView(scalars))
        if body.hasPrefix("0x") { return body.count > 2 && body.dropFirst(2).allSatisfy(\.isHexDigit) }
        if body.hasPrefix("0o") { return body.count > 2 && body.dropFirst(2).allSatisfy { ("0"..."7").contains($0) } }
        return !body.isEmpty && body.allSatisfy { ("0"..."9").contains($0) }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` or an infinity or NaN.
    private static func isFloatSyntax(_ text: String) -> Bool {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            return true
        default:
            break
        }
        let characters = Array(text)
        var index = 0
        func digits() -> Int {
            let start = index
            while index < characters.count, ("0"..."9").contains(characters[index]) { index += 1 }
            return index - start
        }
        if index < characters.count, characters[index] == "-" || characters[index] == "+" { index += 1 }
        let whole = digits()
        var fraction = 0
        if index < characters.count, characters[index] == "." {
            index += 1
            fraction = digits()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if index < characters.count, characters[index] == "e" || characters[index] == "E" {
            index += 1
            if index < characters.count, characters[index] == "-" || characters[index] == "+" { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == characters.count
    }
}
