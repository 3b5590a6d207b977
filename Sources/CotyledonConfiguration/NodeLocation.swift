/// Finds where a key path is written in a composed file.
enum NodeLocation {
    /// The position of the key at the end of `keyPath` (of the element, for a list
    /// index), or of its deepest ancestor that is in the file when the path ends in a key
    /// the file leaves out; `nil` for an empty path.
    static func position(of keyPath: [String], in root: YAMLNode) -> TextPosition? {
        var node = root
        var best: TextPosition? = nil
        for key in keyPath {
            switch node.content {
            case .mapping(let mapping):
                guard let pair = mapping[key] else { return best }
                best = pair.keyPosition
                node = pair.value
            case .sequence(let sequence):
                guard key.hasPrefix("["), key.hasSuffix("]"), let index = Int(key.dropFirst().dropLast()),
                      sequence.indices.contains(index) else { return best }
                node = sequence[index]
                best = node.position
            default:
                return best
            }
        }
        return best
    }
}
