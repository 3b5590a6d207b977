import CotyledonControlProtocol
import PropertyBased
import Testing

/// What `cotyledonctl` does to a daemon's answer before printing it.
@Suite struct EscapedTextTests {
    @Test func escapesControlsAndLeavesBackslashesAndNewlinesAsAsked() {
        #expect(EscapedText.controls(in: "a\u{1b}[2J\u{9b}1m\u{202e}\n\\n") == #"a\u001b[2J\u009b1m\u202e\n\n"#)
        #expect(EscapedText.controls(in: "a\u{1b}\nb\\", keepingNewlines: true) == "a\\u001b\nb\\")
        #expect(EscapedText.controls(in: "plain é 😀") == "plain é 😀")
    }

    /// For any text: nothing a terminal would act on is left, and as the content of a JSON
    /// string (where a daemon's raw DEL, C1 or bidirectional controls can stand) the
    /// escaped text reads back as the original.
    @Test func anyTextLosesItsControlsAndReadsBackAsJSON() async {
        await propertyCheck(count: 300, input: LogText.pieces, LogText.scalars) { pieces, scalars in
            let text = LogText.interleave(pieces, scalars).unicodeScalars.filter { $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
            let original = String(String.UnicodeScalarView(text))
            let escaped = EscapedText.controls(in: original)
            #expect(LogText.isSafe(escaped + "\n"), "\(escaped.debugDescription)")
            #expect((try? JSONParser.parse(Array("\"\(escaped)\"".utf8)))?.stringValue == original)
        }
    }

    @Test func cutsAtTheLimitSayingHowMuchWasLeftOut() {
        let cut = EscapedText.escaping(String(repeating: "ab", count: 100), maximumBytes: 10) { _ in false }
        #expect(cut == "ababababab…(190 more bytes)")
    }
}
