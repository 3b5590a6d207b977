import CYAML

extension YAMLComposer {
    /// A syntax error at `position`.
    static func error(_ problem: String, fix: String, at position: TextPosition, keyPath: [String] = []) -> ConfigurationError {
        ConfigurationError(kind: .syntax, keyPath: keyPath, line: position.line, column: position.column,
                           problem: "invalid YAML: \(problem)", fix: fix)
    }

    /// libyaml's error, with its place, what it was reading when it failed, and a fix
    /// for the mistakes people make most.
    static func syntaxError(of parser: yaml_parser_t, in text: UnsafeBufferPointer<UInt8>) -> ConfigurationError {
        let problem = parser.problem.map { String(cString: $0) } ?? "libyaml could not parse the text"
        if parser.error == YAML_READER_ERROR {
            return error(problem, fix: "remove the character or write it as an escape in a double-quoted string",
                         at: position(ofByte: parser.problem_offset, in: text))
        }
        let position = TextPosition(parser.problem_mark)
        var description = problem
        var opened: TextPosition?
        if let context = parser.context.map({ String(cString: $0) }) {
            let contextPosition = TextPosition(parser.context_mark)
            opened = contextPosition
            description += " (\(context) started at line \(contextPosition.line), column \(contextPosition.column))"
        }
        let isTab = character(at: position, in: text) == "\t"
        if problem == "mapping values are not allowed in this context", position.column > 1024 {
            return error("\(description); a key on its line is at most 1024 characters",
                         fix: "write a longer key as an explicit key: `? key` on one line, `: value` on the next", at: position)
        }
        return error(description, fix: fix(for: problem, isTab: isTab, opened: opened), at: position)
    }

    /// What to do about libyaml's `problem`.
    private static func fix(for problem: String, isTab: Bool, opened: TextPosition?) -> String {
        if isTab || problem.contains("tab") {
            return "indent with spaces only"
        }
        switch problem {
        case "mapping values are not allowed in this context":
            return "check the indentation: a line indented more than the key above it continues that key's value; put nested keys under a key with no value on its line, and quote a value that contains ': '"
        case "did not find expected key", "did not find expected '-' indicator":
            return "align the line with its siblings: the keys (or list items) of one mapping (or list) share one indentation"
        case "did not find expected ',' or ']'", "did not find expected ',' or '}'":
            return "separate the items with commas; quote an item that contains ',', ':' or brackets"
        case "found character that cannot start any token":
            return "quote the value: it starts with a character YAML reserves (such as @, ` or %)"
        case "could not find expected ':'":
            return "write `key: value` on one line; a key longer than 1024 characters is written as `? key`, with `: value` on the next line"
        case "found undefined tag handle":
            return "remove the tag; quote the value to make it a string"
        default:
            break
        }
        if problem.hasPrefix("found unexpected end of stream"), let opened {
            return "close the quote or bracket opened at line \(opened.line), column \(opened.column)"
        }
        return "correct the syntax here; quote a value that contains ': ' or ' #' or starts with a special character"
    }

    /// The character at a 1-based line and column (in Unicode scalars), if the text has one there.
    private static func character(at position: TextPosition, in text: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        var line = 1
        var lineStart = 0
        for (offset, byte) in text.enumerated() where line < position.line && byte == UInt8(ascii: "\n") {
            line += 1
            lineStart = offset + 1
        }
        guard line == position.line, lineStart <= text.count else { return nil }
        var column = 1
        for scalar in String(decoding: UnsafeBufferPointer(rebasing: text[lineStart...]), as: UTF8.self).unicodeScalars {
            if column == position.column { return scalar }
            if scalar == "\n" { return nil }
            column += 1
        }
        return nil
    }

    /// The line and column of a byte offset.
    private static func position(ofByte offset: Int, in text: UnsafeBufferPointer<UInt8>) -> TextPosition {
        let before = UnsafeBufferPointer(rebasing: text[..<min(max(offset, 0), text.count)])
        let lineStart = (before.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
        let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let column = String(decoding: UnsafeBufferPointer(rebasing: before[lineStart...]), as: UTF8.self).unicodeScalars.count + 1
        return TextPosition(line: line, column: column)
    }
}

extension TextPosition {
    /// The 1-based position of libyaml's 0-based mark.
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

extension YAMLScalar.Style {
    /// The style libyaml read a scalar in.
    init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}
