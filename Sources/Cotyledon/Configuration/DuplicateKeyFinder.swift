internal import Yams

/// Turns Yams' duplicate-key error, which names the key and its first place but not the
/// mapping it is in, into a ``ConfigurationError`` with the key path and both lines.
///
/// It renames the reported occurrence in a copy of the text by putting a marker in front
/// of it, composes the copy again (renaming further duplicates the same way), then finds
/// the marker in the tree: its position there is the key path, and the sibling that still
/// has the original name is the second occurrence.
enum DuplicateKeyFinder {
    private static let attempts = 64

    /// The error for a duplicate key first written at `firstMark`.
    ///
    /// - Parameters:
    ///   - yaml: the file's text.
    ///   - firstMark: the place of the first occurrence, as Yams reports it.
    ///   - keys: the duplicated keys, as Yams reports them.
    static func error(yaml: String, firstMark: TextPosition, keys: [String]) -> ConfigurationError {
        let fallback = ConfigurationError(
            kind: .duplicateKey, line: firstMark.line > 0 ? firstMark.line : nil,
            column: firstMark.column > 0 ? firstMark.column : nil,
            problem: "key '\(keys.first ?? "?")' appears more than once in the same mapping",
            fix: "keep one of them")
        var text = yaml
        var insertions: [(line: Int, column: Int, length: Int)] = []
        var mark = firstMark
        for attempt in 0..<attempts {
            let marker = "\u{E000}\(attempt)\u{E001}"
            guard let marked = insert(marker, in: text, at: mark) else { return fallback }
            text = marked.text
            insertions.append((mark.line, marked.column, marker.unicodeScalars.count))
            do {
                guard let root = try Yams.compose(yaml: text) else { return fallback }
                guard let found = find(marker: "\u{E000}0\u{E001}", in: root, keyPath: []) else { return fallback }
                return describe(found, insertions: insertions) ?? fallback
            } catch YamlError.duplicatedKeysInMapping(_, let context) {
                mark = TextPosition(context.mark)
            } catch {
                return fallback
            }
        }
        return fallback
    }

    private struct Found {
        var keyPath: [String]
        var name: String
        var first: Node
        var second: Node?
    }

    /// Inserts `marker` before the key at `mark` (after its opening quote, if quoted).
    private static func insert(_ marker: String, in text: String, at mark: TextPosition) -> (text: String, column: Int)? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        let lineIndex = mark.line - 1
        var columnIndex = mark.column - 1
        guard lines.indices.contains(lineIndex), columnIndex >= 0, columnIndex < lines[lineIndex].count else { return nil }
        if lines[lineIndex][columnIndex] == "\"" || lines[lineIndex][columnIndex] == "'" { columnIndex += 1 }
        lines[lineIndex].insert(contentsOf: marker.unicodeScalars, at: columnIndex)
        let rebuilt = lines.map { line in
            var string = String.UnicodeScalarView()
            string.append(contentsOf: line)
            return String(string)
        }
        return (rebuilt.joined(separator: "\n"), columnIndex + 1)
    }

    private static func find(marker: String, in node: Node, keyPath: [String]) -> Found? {
        switch node {
        case .mapping(let mapping):
            let pairs = Array(mapping)
            for (index, pair) in pairs.enumerated() {
                let keyName = pair.key.scalar?.string ?? ""
                if keyName.contains(marker) {
                    let name = stripped(keyName)
                    let second = pairs[(index + 1)...].first { stripped($0.key.scalar?.string ?? "") == name }?.key
                    return Found(keyPath: keyPath.map(stripped), name: name, first: pair.key, second: second)
                }
                if let found = find(marker: marker, in: pair.value, keyPath: keyPath + [keyName]) { return found }
            }
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                if let found = find(marker: marker, in: element, keyPath: keyPath + ["[\(index)]"]) { return found }
            }
        default:
            break
        }
        return nil
    }

    /// The key without the markers put in front of it.
    private static func stripped(_ key: String) -> String {
        var scalars = String.UnicodeScalarView()
        var inMarker = false
        for scalar in key.unicodeScalars {
            if scalar == "\u{E000}" { inMarker = true; continue }
            if scalar == "\u{E001}" { inMarker = false; continue }
            if !inMarker { scalars.append(scalar) }
        }
        return String(scalars)
    }

    private static func describe(_ found: Found, insertions: [(line: Int, column: Int, length: Int)]) -> ConfigurationError? {
        guard let firstMark = original(found.first.mark, insertions: insertions) else { return nil }
        let secondMark = original(found.second?.mark, insertions: insertions)
        let place = secondMark ?? firstMark
        let others = secondMark == nil ? "" : " (first at line \(firstMark.line))"
        return ConfigurationError(
            kind: .duplicateKey, keyPath: found.keyPath + [found.name], line: place.line, column: place.column,
            problem: "key '\(found.name)' appears more than once in the same mapping\(others)",
            fix: "keep one of them")
    }

    /// A mark in the marked copy, moved back to where it is in the original text.
    private static func original(_ mark: Mark?, insertions: [(line: Int, column: Int, length: Int)]) -> TextPosition? {
        guard let mark else { return nil }
        let shift = insertions.filter { $0.line == mark.line && $0.column < mark.column }.map(\.length).reduce(0, +)
        return TextPosition(line: mark.line, column: mark.column - shift)
    }
}
