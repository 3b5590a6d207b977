extension YAMLParser {
    /// A `[…]` list or `{…}` mapping, possibly over several lines; the cursor is on the
    /// opening bracket and is left after the closing one.
    mutating func parseFlowCollection(path: [String]) throws(ConfigurationError) -> YAMLNode {
        let start = here
        try enterCollection()
        defer { depth -= 1 }
        let isList = character() == "["
        let closing: Unicode.Scalar = isList ? "]" : "}"
        column += 1
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        while true {
            try skipFlowSeparators(openedAt: start)
            if character() == closing {
                column += 1
                break
            }
            if isList {
                items.append(try parseFlowNode(path: path + ["[\(items.count)]"], openedAt: start))
            } else {
                let keyPosition = here
                if character() == "[" || character() == "{" {
                    throw syntaxError("a collection cannot be a key", fix: "write `key: value`", at: keyPosition)
                }
                let key = try parseInlineScalar(inFlow: true).text
                try skipFlowSeparators(openedAt: start)
                var value = YAMLNode(content: .scalar(YAMLScalar(text: "", style: .plain)), position: here)
                if character() == ":" {
                    column += 1
                    try skipFlowSeparators(openedAt: start)
                    if character() != "," && character() != "}" {
                        value = try parseFlowNode(path: path + [key], openedAt: start)
                    }
                }
                if let first = pairs.first(where: { $0.key == key }) {
                    throw duplicateKeyError(key, path: path + [key], at: keyPosition, first: first.keyPosition)
                }
                pairs.append(YAMLPair(key: key, keyPosition: keyPosition, value: value))
            }
            try skipFlowSeparators(openedAt: start)
            if character() == "," {
                column += 1
                continue
            }
            if character() == closing {
                column += 1
                break
            }
            throw syntaxError("expected ',' or '\(closing)' in the collection opened at line \(start.line), column \(start.column)",
                              fix: "separate the items with commas; quote an item that contains ',', ':' or brackets", at: here)
        }
        return YAMLNode(content: isList ? .sequence(items) : .mapping(pairs), position: start)
    }

    private mutating func parseFlowNode(path: [String], openedAt start: TextPosition) throws(ConfigurationError) -> YAMLNode {
        let position = here
        if character() == "[" || character() == "{" {
            return try parseFlowCollection(path: path)
        }
        let scalar = character() == "," ? YAMLScalar(text: "", style: .plain) : try parseInlineScalar(inFlow: true)
        if scalar.style == .plain, scalar.text.isEmpty {
            throw syntaxError("a value is missing in the collection opened at line \(start.line), column \(start.column)",
                              fix: "remove the extra comma, or write the value", at: position)
        }
        return YAMLNode(content: .scalar(scalar), position: position)
    }

    /// Skips blanks, comments and line ends inside a flow collection.
    private mutating func skipFlowSeparators(openedAt start: TextPosition) throws(ConfigurationError) {
        while isAtLineEnd() {
            row += 1
            column = 0
            guard row < lines.count else {
                throw syntaxError("the collection opened here is not closed",
                                  fix: "close it with the matching ']' or '}'", at: start)
            }
        }
    }
}
