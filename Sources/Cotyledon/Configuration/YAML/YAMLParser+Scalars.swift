extension YAMLParser {
    /// A quoted or plain scalar on the cursor's line, leaving the cursor after it.
    mutating func parseInlineScalar(inFlow: Bool) throws(ConfigurationError) -> YAMLScalar {
        switch character() {
        case "'": return YAMLScalar(text: try parseSingleQuoted(), style: .singleQuoted)
        case "\"": return YAMLScalar(text: try parseDoubleQuoted(), style: .doubleQuoted)
        default: return YAMLScalar(text: try parsePlain(inFlow: inFlow), style: .plain)
        }
    }

    /// A plain (unquoted) scalar: up to `: `, ` #` or the end of the line, and in a flow
    /// collection up to `,`, `[`, `]`, `{` or `}`; trailing blanks are not part of it.
    private mutating func parsePlain(inFlow: Bool) throws(ConfigurationError) -> String {
        try rejectUnsupportedStart(inFlow: inFlow)
        let start = column
        var end = column
        while let character = character() {
            if character == ":", isBlank(self.character(at: 1)) || (inFlow && isFlowIndicator(self.character(at: 1))) { break }
            if character == "#", column > start, isBlank(self.character(at: -1)) { break }
            if inFlow, isFlowIndicator(character) { break }
            column += 1
            if !isBlank(character) { end = column }
        }
        column = end
        var text = String.UnicodeScalarView()
        text.append(contentsOf: currentLine[start..<end])
        return String(text)
    }

    /// Throws for a character that cannot start a plain scalar, saying what to write instead.
    private func rejectUnsupportedStart(inFlow: Bool) throws(ConfigurationError) {
        guard let first = character() else { return }
        let blankAfter = isBlank(character(at: 1))
        switch first {
        case "&":
            throw syntaxError("anchors (&name) are not supported", fix: "write the value out in full where it is needed", at: here)
        case "*":
            throw syntaxError("aliases (*name) are not supported", fix: "write the value out in full where it is needed", at: here)
        case "!":
            throw syntaxError("tags (!name) are not supported", fix: "remove the tag; quote the value to make it a string", at: here)
        case "?" where blankAfter:
            throw syntaxError("complex keys ('? key') are not supported", fix: "write `key: value`", at: here)
        case ":" where blankAfter:
            throw syntaxError("a key is missing before ':'", fix: "write `key: value`", at: here)
        case "-" where blankAfter && inFlow:
            throw syntaxError("a block list item ('- ') inside a flow collection", fix: "write the items as [a, b]", at: here)
        case "%", "@", "`", ",", "]", "}":
            throw syntaxError("a plain value cannot start with '\(first)'", fix: "quote the value", at: here)
        default:
            return
        }
    }

    private func isFlowIndicator(_ character: Unicode.Scalar?) -> Bool {
        character == "," || character == "[" || character == "]" || character == "{" || character == "}"
    }

    /// A `'…'` scalar on one line; `''` stands for a quote.
    private mutating func parseSingleQuoted() throws(ConfigurationError) -> String {
        let start = here
        column += 1
        var text = String.UnicodeScalarView()
        while true {
            guard let character = character() else { throw unterminatedQuote(at: start) }
            column += 1
            if character == "'" {
                guard self.character() == "'" else { break }
                column += 1
            }
            text.append(character)
        }
        return String(text)
    }

    /// A `"…"` scalar on one line, with YAML's backslash escapes.
    private mutating func parseDoubleQuoted() throws(ConfigurationError) -> String {
        let start = here
        column += 1
        var text = String.UnicodeScalarView()
        while true {
            guard let character = character() else { throw unterminatedQuote(at: start) }
            column += 1
            if character == "\"" { break }
            guard character == "\\" else {
                text.append(character)
                continue
            }
            let escapePosition = TextPosition(line: here.line, column: here.column - 1)
            guard let escape = self.character() else { throw unterminatedQuote(at: start) }
            column += 1
            switch escape {
            case "0": text.append("\0")
            case "a": text.append("\u{07}")
            case "b": text.append("\u{08}")
            case "t", "\t": text.append("\t")
            case "n": text.append("\n")
            case "v": text.append("\u{0B}")
            case "f": text.append("\u{0C}")
            case "r": text.append("\r")
            case "e": text.append("\u{1B}")
            case " ", "\"", "/", "\\": text.append(escape)
            case "N": text.append("\u{85}")
            case "_": text.append("\u{A0}")
            case "L": text.append("\u{2028}")
            case "P": text.append("\u{2029}")
            case "x", "u", "U":
                let length = escape == "x" ? 2 : escape == "u" ? 4 : 8
                var digits = String.UnicodeScalarView()
                for _ in 0..<length {
                    guard let digit = self.character(), digit.properties.isASCIIHexDigit else {
                        throw syntaxError("\\\(escape) needs \(length) hexadecimal digits", fix: "write the code point in full, e.g. \\u00e9", at: escapePosition)
                    }
                    digits.append(digit)
                    column += 1
                }
                guard let value = UInt32(String(digits), radix: 16), let scalar = Unicode.Scalar(value) else {
                    throw syntaxError("\\\(escape)\(String(digits)) is not a Unicode character", fix: "correct the code point", at: escapePosition)
                }
                text.append(scalar)
            default:
                throw syntaxError("unknown escape '\\\(escape)' in a double-quoted string",
                                  fix: "write \\\\ for a backslash, or use single quotes", at: escapePosition)
            }
        }
        return String(text)
    }

    private func unterminatedQuote(at start: TextPosition) -> ConfigurationError {
        syntaxError("the quoted string is not closed on its line",
                    fix: "close the quote on the same line; write a long text as a block scalar (`key: |`)", at: start)
    }

    // MARK: Block scalars

    /// A `|` (literal) or `>` (folded) block scalar; the cursor is on the indicator.
    /// Leaves the cursor on the first character of the next line with content.
    ///
    /// - Parameter parentIndent: the indentation of the block it belongs to: its lines
    ///   are indented more.
    mutating func parseBlockScalar(parentIndent: Int) throws(ConfigurationError) -> YAMLNode {
        let start = here
        let style: YAMLScalar.Style = character() == "|" ? .literal : .folded
        column += 1
        var chomping: Unicode.Scalar = " "
        var explicitIndent: Int?
        while let character = character(), !isBlank(character) {
            if (character == "-" || character == "+"), chomping == " " {
                chomping = character
            } else if let digit = Int(String(character)), (1...9).contains(digit), explicitIndent == nil {
                explicitIndent = max(parentIndent, 0) + digit
            } else {
                throw syntaxError("unexpected '\(character)' after the block scalar indicator",
                                  fix: "write `|` or `>`, optionally followed by - or + and an indentation digit", at: here)
            }
            column += 1
        }
        guard isAtLineEnd() else {
            throw syntaxError("text after the block scalar indicator", fix: "start the text on the next line, indented", at: here)
        }
        var contentIndent = explicitIndent
        var contentLines: [String] = []
        row += 1
        while row < lines.count {
            let line = lines[row]
            let leading = line.prefix { $0 == " " }.count
            if leading == line.count {
                contentLines.append("")
                row += 1
                continue
            }
            if leading == 0, line.starts(with: Array("---".unicodeScalars)) || line.starts(with: Array("...".unicodeScalars)) { break }
            if contentIndent == nil {
                guard leading > parentIndent else { break }
                contentIndent = leading
            }
            guard let indent = contentIndent, leading >= indent else { break }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: line[indent...])
            contentLines.append(String(text))
            row += 1
        }
        let lastContent = contentLines.lastIndex { !$0.isEmpty }
        let body = lastContent.map { Array(contentLines[...$0]) } ?? []
        let trailingEmptyLines = contentLines.count - body.count
        var text = style == .literal ? body.joined(separator: "\n") : YAMLParser.folded(body)
        if !body.isEmpty, chomping != "-" { text += "\n" }
        if chomping == "+" { text += String(repeating: "\n", count: trailingEmptyLines) }
        column = 0
        _ = try advanceToContent(fromNextLine: false)
        return YAMLNode(content: .scalar(YAMLScalar(text: text, style: style)), position: start)
    }

    /// The lines of a folded block scalar joined: a line break between two lines of text
    /// becomes a space, each empty line a line break, and more-indented lines keep theirs.
    private static func folded(_ lines: [String]) -> String {
        var result = ""
        var emptyLines = 0
        var previousWasMoreIndented = false
        var isFirst = true
        for line in lines {
            if line.isEmpty {
                emptyLines += 1
                continue
            }
            let isMoreIndented = line.first == " " || line.first == "\t"
            if isFirst {
                result += String(repeating: "\n", count: emptyLines)
            } else if isMoreIndented || previousWasMoreIndented {
                result += String(repeating: "\n", count: emptyLines + 1)
            } else {
                result += emptyLines == 0 ? " " : String(repeating: "\n", count: emptyLines)
            }
            result += line
            emptyLines = 0
            previousWasMoreIndented = isMoreIndented
            isFirst = false
        }
        return result
    }
}
