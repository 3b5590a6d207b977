/// What a terminal or a log reader would act on in a text a test read.
enum TerminalText {
    /// The characters of `text` that are controls (Unicode category Cc: NUL, ESC, DEL, the
    /// C1 range, newlines), line or paragraph separators, or bidirectional controls.
    static func controls(in text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter { scalar in
            let properties = scalar.properties
            return properties.generalCategory == .control || properties.generalCategory == .lineSeparator
                || properties.generalCategory == .paragraphSeparator || properties.isBidiControl
        }
    }

    /// The lines of `text` that hold a control character or start with `forged`.
    static func unsafeLines(of text: String, forged: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter {
            $0.hasPrefix(forged) || !controls(in: $0).isEmpty
        }
    }
}
