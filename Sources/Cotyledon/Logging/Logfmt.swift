internal import CotyledonControlProtocol

/// How ``CotyledonLogHandler`` writes the parts of a line, whatever they hold: a line is
/// always one line, its fields always read back as they were given.
///
/// - A field value is written as it is when it is a plain word; otherwise — empty, or with
///   a space, `=`, `"`, `\` or a control character — it is quoted and escaped as a JSON
///   string: `error="unknown key \"a\\nb\""`, `key="\u001b[31m"`.
/// - The message is escaped the same way, without quotes: a newline in it is `\n`, a
///   backslash `\\`.
/// - A field key keeps only letters, digits, `_`, `-` and `.`; any other character becomes `_`.
/// - A message or a value longer than ``maximumPartBytes`` once escaped is cut, and says
///   how many bytes were left out, so a line stays shorter than the line limit of the
///   journal (48 KiB), which would otherwise split it into entries whose text starts
///   wherever the cut fell.
enum Logfmt {
    /// The longest message or field value written, in UTF-8 bytes after escaping.
    static let maximumPartBytes = 4096

    /// `text` as a field value: a plain word as it is, anything else (a cut one too) quoted
    /// and escaped.
    static func value(_ text: String) -> String {
        guard text.isEmpty || text.utf8.count > maximumPartBytes || text.unicodeScalars.contains(where: needsQuotes) else {
            return text
        }
        let escaped = EscapedText.escaping(text, maximumBytes: maximumPartBytes) {
            $0 == "\"" || $0 == "\\" || EscapedText.isUnsafe($0)
        }
        return "\"\(escaped)\""
    }

    /// `text` as a message: on one line, backslashes and control characters escaped.
    static func message(_ text: String) -> String {
        EscapedText.escaping(text, maximumBytes: maximumPartBytes) { $0 == "\\" || EscapedText.isUnsafe($0) }
    }

    /// `text` as one word (the program name): escaped like a message, spaces included.
    static func word(_ text: String) -> String {
        EscapedText.escaping(text, maximumBytes: maximumPartBytes) {
            $0 == "\\" || $0.properties.isWhitespace || EscapedText.isUnsafe($0)
        }
    }

    /// `text` as a field key: letters, digits, `_`, `-` and `.`, anything else as `_`;
    /// `_` when empty.
    static func key(_ text: String) -> String {
        guard !text.isEmpty else { return "_" }
        guard !text.unicodeScalars.allSatisfy(isKeyScalar) else { return text }
        var key = ""
        for scalar in text.unicodeScalars {
            key.unicodeScalars.append(isKeyScalar(scalar) ? scalar : "_")
        }
        return key
    }

    /// Whether a value holding `scalar` must be quoted.
    private static func needsQuotes(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return scalar.properties.isWhitespace || EscapedText.isUnsafe(scalar) }
        return scalar == " " || scalar == "=" || scalar == "\"" || scalar == "\\" || EscapedText.isUnsafe(scalar)
    }

    private static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-", ".": return true
        default: return false
        }
    }
}
