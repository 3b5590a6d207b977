import CotyledonControlProtocol
import PropertyBased

/// Hostile texts for the log handler's escaping, and what a reader of its lines checks.
enum LogText {
    /// Pieces an attacker would try: newlines, escape sequences, quotes, backslashes,
    /// forged fields, C1 and bidirectional controls, combining marks.
    static let pieces = Gen.element(of: [
        "\"", "\\", "\\n", "\\u001b", "=", " ", "\n", "\r\n", "\t", "\u{1b}[31m", "\u{0}", "\u{7f}", "\u{85}", "\u{9b}",
        "\u{2028}", "\u{202e}", "\u{2066}", "\u{a0}", "\u{feff}", "\u{301}", "é", "😀", "event=x", " mono=1",
        "FORGED master exiting", "k=\"v\"",
    ]).array(of: 0...8)

    /// Any scalars of the first planes' start, controls included.
    static let scalars = Gen.unicodeScalar(in: "\u{0}"..."\u{2FFF}").array(of: 0...8)

    /// The pieces and the scalars, alternating.
    static func interleave(_ pieces: [String?], _ scalars: [Unicode.Scalar]) -> String {
        var text = ""
        for index in 0..<max(pieces.count, scalars.count) {
            if index < pieces.count, let piece = pieces[index] { text += piece }
            if index < scalars.count { text.unicodeScalars.append(scalars[index]) }
        }
        return text
    }

    /// Whether `output` is one line (its only newline at the end) holding no control
    /// character (Unicode category Cc), line or paragraph separator, or bidirectional
    /// control: what a terminal or a log reader would act on.
    static func isSafe(_ output: String) -> Bool {
        guard output.unicodeScalars.last == "\n" else { return false }
        return output.unicodeScalars.dropLast().allSatisfy { scalar in
            let properties = scalar.properties
            return properties.generalCategory != .control && properties.generalCategory != .lineSeparator
                && properties.generalCategory != .paragraphSeparator && !properties.isBidiControl
        }
    }

    /// The text of `output` after the first `start` and before the last `end`, by bytes.
    static func slice(of output: String, after start: String, beforeLast end: String) -> String? {
        let bytes = Array(output.utf8), open = Array(start.utf8), close = Array(end.utf8)
        guard let from = bytes.indices.first(where: { bytes[$0...].starts(with: open) }).map({ $0 + open.count }),
              let to = bytes.indices.last(where: { bytes[$0...].starts(with: close) }), from <= to
        else { return nil }
        return String(decoding: bytes[from..<to], as: UTF8.self)
    }

    /// A field value as written, read back: a plain word as it is, a quoted one as JSON.
    static func unquotedValue(_ token: String) -> String? {
        guard token.unicodeScalars.first == "\"" else { return token }
        return (try? JSONParser.parse(Array(token.utf8)))?.stringValue
    }

    /// A message as written, read back: its escapes are those of a JSON string, its
    /// quotes raw.
    static func unescapedMessage(_ message: String) -> String? {
        var json = "\""
        var scalars = message.unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\\":
                json.unicodeScalars.append(scalar)
                if let escaped = scalars.popFirst() { json.unicodeScalars.append(escaped) }
            case "\"":
                json += "\\\""
            default:
                json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
        return (try? JSONParser.parse(Array(json.utf8)))?.stringValue
    }
}
