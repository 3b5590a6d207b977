/// Text from outside the program (a configuration key, an error message, a daemon's answer)
/// made safe to put on a log line or a terminal: no byte of it can end the line, start a
/// forged one, move the cursor, recolour the screen or reorder what is shown.
///
/// The escapes are those of a JSON string — `\n`, `\r`, `\t`, `\\`, `\"` and `\u001b` for
/// the other characters — so any JSON reader reads an escaped text back. The master's log
/// (`CotyledonLogHandler`) and `cotyledonctl` both use them.
public enum EscapedText {
    /// Whether `scalar` must never be written raw: the C0 controls (NUL, ESC, newline…),
    /// DEL, the C1 controls (U+0080…U+009F, among them the 8-bit CSI), the line and
    /// paragraph separators U+2028 and U+2029, and the bidirectional controls that
    /// reorder what a terminal shows (U+061C, U+200E, U+200F, U+202A…U+202E, U+2066…U+2069).
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Appends the escape of `scalar` to `output`: `\n`, `\r`, `\t`, `\\`, `\"`, else
    /// `\u` and four hexadecimal digits.
    public static func appendEscape(of scalar: Unicode.Scalar, to output: inout String) {
        switch scalar {
        case "\n": output += "\\n"
        case "\r": output += "\\r"
        case "\t": output += "\\t"
        case "\\": output += "\\\\"
        case "\"": output += "\\\""
        default:
            let hex = String(scalar.value, radix: 16)
            output += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }

    /// `text` with its unsafe characters escaped and everything else, backslashes
    /// included, as it is: for text that has escapes of its own (a JSON line, the
    /// Prometheus text format).
    ///
    /// - Parameter keepingNewlines: leave `\n` raw, for text of several lines whose line
    ///   structure the program itself made.
    public static func controls(in text: String, keepingNewlines: Bool = false) -> String {
        escaping(text) { isUnsafe($0) && !(keepingNewlines && $0 == "\n") }
    }

    /// `text` with the scalars `mustEscape` picks escaped (`text` itself when it has none),
    /// cut once the result reaches `maximumBytes` of UTF-8, the cut saying how many bytes
    /// of `text` were left out: `…(1234 more bytes)`.
    public static func escaping(
        _ text: String, maximumBytes: Int = .max, where mustEscape: (Unicode.Scalar) -> Bool
    ) -> String {
        guard text.utf8.count > maximumBytes || text.unicodeScalars.contains(where: mustEscape) else { return text }
        var output = ""
        var consumed = 0
        for scalar in text.unicodeScalars {
            guard output.utf8.count < maximumBytes else {
                output += "…(\(text.utf8.count - consumed) more bytes)"
                return output
            }
            if mustEscape(scalar) {
                appendEscape(of: scalar, to: &output)
            } else {
                output.unicodeScalars.append(scalar)
            }
            consumed += UTF8.width(scalar)
        }
        return output
    }
}
