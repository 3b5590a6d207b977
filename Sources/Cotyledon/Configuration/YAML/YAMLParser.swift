/// Composes the YAML text of a configuration file into ``YAMLNode``s.
///
/// It reads the YAML 1.2 that configuration files are written in: block mappings and
/// lists (`key: value`, `- item`, lists indented under their key or not), flow lists and
/// mappings (`[a, b]`, `{a: 1}`, over several lines too), plain, single- and
/// double-quoted scalars, literal and folded block scalars (`|`, `>`, with `-`/`+`
/// chomping), comments, and one document with optional `---` and `...` markers. The rest
/// is rejected with a message that says what to write instead: anchors and aliases,
/// tags, directives, complex keys, several documents, tabs in indentation, and quoted or
/// plain scalars continued over several lines. A key repeated in one mapping is an error.
///
/// The master composes its configuration before it forks, and at every reload: a reader
/// that needs nothing but the standard library keeps Foundation and ICU out of every
/// daemon's master (libyaml through Yams brings them: 7 MB of resident memory and 60
/// more mappings for every fork to copy).
struct YAMLParser {
    private(set) var lines: [[Unicode.Scalar]]
    var row = 0
    var column = 0
    /// Set when a block stopped at a `---` or `...` line.
    private var reachedDocumentMarker = false
    /// How many collections enclose the cursor.
    var depth = 0

    /// Collections nested deeper than this are refused: a configuration is a few levels
    /// deep, and a hostile file must not exhaust the master's stack.
    static let maximumDepth = 64

    /// The single document in `text`, or `nil` when it holds no node (blank, comments only).
    static func compose(_ text: String) throws(ConfigurationError) -> YAMLNode? {
        var parser = YAMLParser(text)
        return try parser.parseDocument()
    }

    private init(_ text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        lines = scalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = Array(line)
            if line.last == "\r" { line.removeLast() }
            return line
        }
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
    }

    // MARK: Document

    private mutating func parseDocument() throws(ConfigurationError) -> YAMLNode? {
        let hasContent = try advanceToContent(fromNextLine: false)
        if hasContent, character() == "%" {
            throw syntaxError("directives (%YAML, %TAG) are not supported", fix: "remove this line", at: here)
        }
        var root: YAMLNode?
        if hasContent {
            root = try parseNode(parentIndent: -1, path: [], allowsCollections: true)
        } else if reachedDocumentMarker, lineStarts(with: "---") {
            column = 3
            reachedDocumentMarker = false
            if !isAtLineEnd() {
                root = try parseNode(parentIndent: -1, path: [], allowsCollections: false)
            } else if try advanceToContent() {
                root = try parseNode(parentIndent: -1, path: [], allowsCollections: true)
            }
        }
        try finishDocument()
        return root
    }

    /// Checks that nothing but comments, a `...` marker or blank lines follow the root.
    private mutating func finishDocument() throws(ConfigurationError) {
        guard row < lines.count else { return }
        guard reachedDocumentMarker else {
            throw syntaxError("this line is indented less than the document's first line",
                              fix: "indent the top-level keys alike, from the first column", at: here)
        }
        if lineStarts(with: "---") {
            throw syntaxError("the file holds more than one YAML document (a second '---')",
                              fix: "keep one document: the configuration is one mapping", at: here)
        }
        column = 3
        guard isAtLineEnd() else {
            throw syntaxError("unexpected text after '...'", fix: "remove it", at: here)
        }
        reachedDocumentMarker = false
        if try advanceToContent() || reachedDocumentMarker {
            throw syntaxError("text after the end of the document ('...')",
                              fix: "remove it, or the '...' line before it", at: here)
        }
    }

    // MARK: Block nodes

    /// The node starting at the cursor, which is on its first character. Leaves the
    /// cursor on the first character of the next line with content.
    ///
    /// - Parameters:
    ///   - parentIndent: the indentation of the block the node belongs to (-1 at the top).
    ///   - allowsCollections: whether a block mapping or list may start here: not on the
    ///     line of a key (`key: a: b`), but at the start of a line or after `- `.
    private mutating func parseNode(parentIndent: Int, path: [String], allowsCollections: Bool) throws(ConfigurationError) -> YAMLNode {
        let start = here
        try enterCollection()
        defer { depth -= 1 }
        let indent = column
        if isAtSequenceEntry {
            guard allowsCollections else {
                throw syntaxError("a list cannot start on the same line as its key",
                                  fix: "put the `- item` lines below the key, or write [a, b]", at: start)
            }
            return try parseBlockSequence(indent: indent, path: path)
        }
        switch character() {
        case "[", "{":
            let node = try parseFlowCollection(path: path)
            guard isAtLineEnd() else {
                throw syntaxError("unexpected text after the closing bracket", fix: "end the line after the collection", at: here)
            }
            _ = try advanceToContent()
            return node
        case "|", ">":
            return try parseBlockScalar(parentIndent: parentIndent)
        default:
            break
        }
        let scalar = try parseInlineScalar(inFlow: false)
        skipSeparators()
        if character() == ":", isBlank(character(at: 1)) {
            guard allowsCollections else {
                throw syntaxError("a mapping cannot start on the same line as its key (or the value contains ': ')",
                                  fix: "put the nested keys on their own lines, indented; quote a value that contains ': '",
                                  at: start)
            }
            return try parseBlockMapping(indent: indent, firstKey: scalar.text, firstKeyPosition: start, path: path)
        }
        guard isAtLineEnd() else {
            throw syntaxError("unexpected text after the value", fix: "quote the whole value, or put a space before a # comment", at: here)
        }
        _ = try advanceToContent()
        return YAMLNode(content: .scalar(scalar), position: start)
    }

    /// A block mapping whose keys are at column `indent`; the cursor is on the colon
    /// after its first key.
    private mutating func parseBlockMapping(
        indent: Int, firstKey: String, firstKeyPosition: TextPosition, path: [String]
    ) throws(ConfigurationError) -> YAMLNode {
        var pairs: [YAMLPair] = []
        var key = firstKey
        var keyPosition = firstKeyPosition
        while true {
            column += 1
            let valuePath = path + [key]
            let value: YAMLNode
            if isAtLineEnd() {
                let afterColon = here
                if try advanceToContent(), column > indent || (column == indent && isAtSequenceEntry) {
                    value = try parseNode(parentIndent: indent, path: valuePath, allowsCollections: true)
                } else {
                    value = YAMLNode(content: .scalar(YAMLScalar(text: "", style: .plain)), position: afterColon)
                }
            } else {
                value = try parseNode(parentIndent: indent, path: valuePath, allowsCollections: false)
            }
            if let first = pairs.first(where: { $0.key == key }) {
                throw duplicateKeyError(key, path: valuePath, at: keyPosition, first: first.keyPosition)
            }
            pairs.append(YAMLPair(key: key, keyPosition: keyPosition, value: value))
            guard row < lines.count, !reachedDocumentMarker, column >= indent else { break }
            guard column == indent else { throw unexpectedIndentation() }
            if isAtSequenceEntry {
                throw syntaxError("a list item where a key of the mapping was expected",
                                  fix: "indent the list under its key, or write a `key:` line before it", at: here)
            }
            keyPosition = here
            key = try parseKey()
        }
        return YAMLNode(content: .mapping(pairs), position: firstKeyPosition)
    }

    /// A mapping key at the cursor, leaving the cursor on the colon after it.
    private mutating func parseKey() throws(ConfigurationError) -> String {
        if character() == "[" || character() == "{" || character() == "|" || character() == ">" {
            throw syntaxError("expected a key, found '\(character()!)'", fix: "write `key: value`; quote a key that starts with it", at: here)
        }
        let key = try parseInlineScalar(inFlow: false)
        skipSeparators()
        guard character() == ":", isBlank(character(at: 1)) else {
            throw syntaxError("expected `key: value`, found no ': ' after '\(key.text)'",
                              fix: "write the key, a colon and a space, then the value; or indent this line under a key", at: here)
        }
        return key.text
    }

    /// A block list whose `-` are at column `indent`; the cursor is on its first `-`.
    private mutating func parseBlockSequence(indent: Int, path: [String]) throws(ConfigurationError) -> YAMLNode {
        let start = here
        var items: [YAMLNode] = []
        repeat {
            column += 1
            let itemPath = path + ["[\(items.count)]"]
            if isAtLineEnd() {
                let afterDash = here
                if try advanceToContent(), column > indent {
                    items.append(try parseNode(parentIndent: indent, path: itemPath, allowsCollections: true))
                } else {
                    items.append(YAMLNode(content: .scalar(YAMLScalar(text: "", style: .plain)), position: afterDash))
                }
            } else {
                items.append(try parseNode(parentIndent: indent, path: itemPath, allowsCollections: true))
            }
            guard row < lines.count, !reachedDocumentMarker, column >= indent else { break }
            guard column == indent else { throw unexpectedIndentation() }
        } while isAtSequenceEntry
        return YAMLNode(content: .sequence(items), position: start)
    }

    // MARK: Lines and characters

    var here: TextPosition {
        TextPosition(line: row + 1, column: column + 1)
    }

    func character(at offset: Int = 0) -> Unicode.Scalar? {
        guard row < lines.count, column + offset >= 0, column + offset < lines[row].count else { return nil }
        return lines[row][column + offset]
    }

    func isBlank(_ character: Unicode.Scalar?) -> Bool {
        character == nil || character == " " || character == "\t"
    }

    private var isAtSequenceEntry: Bool {
        character() == "-" && isBlank(character(at: 1))
    }

    private func lineStarts(with marker: String) -> Bool {
        let line = lines[row]
        let prefix = Array(marker.unicodeScalars)
        return line.starts(with: prefix) && (line.count == prefix.count || isBlank(line[prefix.count]))
    }

    mutating func skipSeparators() {
        while character() == " " || character() == "\t" { column += 1 }
    }

    /// Whether only separators and a comment remain on the line.
    mutating func isAtLineEnd() -> Bool {
        skipSeparators()
        guard let character = character() else { return true }
        return character == "#" && (column == 0 || isBlank(lines[row][column - 1]))
    }

    /// Moves the cursor to the first character of the next line with content, past blank
    /// and comment lines; `false` at the end of the text, or at a `---` or `...` line
    /// (then ``reachedDocumentMarker`` is set).
    mutating func advanceToContent(fromNextLine: Bool = true) throws(ConfigurationError) -> Bool {
        if fromNextLine { row += 1 }
        while row < lines.count {
            column = 0
            while character() == " " { column += 1 }
            let indentation = column
            if isAtLineEnd() {
                row += 1
                continue
            }
            if column != indentation {
                column = indentation
                throw syntaxError("a tab character in the indentation", fix: "indent with spaces only", at: here)
            }
            if column == 0, lineStarts(with: "---") || lineStarts(with: "...") {
                reachedDocumentMarker = true
                return false
            }
            return true
        }
        column = 0
        return false
    }

    /// Counts one more level of nesting, refusing more than ``maximumDepth``; the caller
    /// counts it back down.
    mutating func enterCollection() throws(ConfigurationError) {
        guard depth < Self.maximumDepth else {
            throw syntaxError("values nested more than \(Self.maximumDepth) levels deep",
                              fix: "flatten the structure: a configuration needs a few levels", at: here)
        }
        depth += 1
    }

    // MARK: Errors

    /// The line under the cursor.
    var currentLine: [Unicode.Scalar] {
        row < lines.count ? lines[row] : []
    }

    func syntaxError(_ problem: String, fix: String, at position: TextPosition) -> ConfigurationError {
        ConfigurationError(kind: .syntax, line: position.line, column: position.column, problem: "invalid YAML: \(problem)", fix: fix)
    }

    private func unexpectedIndentation() -> ConfigurationError {
        syntaxError("this line is indented more than the line before it at the same level",
                    fix: "check the indentation: align the line with its siblings; a value cannot go on over several lines unless it is a block scalar (`key: |`)",
                    at: here)
    }

    func duplicateKeyError(_ key: String, path: [String], at position: TextPosition, first: TextPosition) -> ConfigurationError {
        ConfigurationError(kind: .duplicateKey, keyPath: path, line: position.line, column: position.column,
                           problem: "key '\(key)' appears more than once in the same mapping (first at line \(first.line))",
                           fix: "keep one of them")
    }
}
