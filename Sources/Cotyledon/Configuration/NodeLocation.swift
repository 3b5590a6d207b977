internal import Yams

/// Finds where a key path is written in a composed file.
enum NodeLocation {
    /// The mark of the key at the end of `keyPath` (of the element, for a list index), or
    /// of its deepest ancestor that is in the file when the path ends in a key the file
    /// leaves out; `nil` for an empty path or a tree without marks.
    static func mark(of keyPath: [String], in root: Node) -> Mark? {
        var node = root
        var best: Mark? = nil
        for key in keyPath {
            switch node {
            case .mapping(let mapping):
                guard let pair = mapping.reversed().first(where: { $0.key.scalar?.string == key }) else { return best }
                best = pair.key.mark ?? best
                node = pair.value
            case .sequence(let sequence):
                guard key.hasPrefix("["), key.hasSuffix("]"), let index = Int(key.dropFirst().dropLast()),
                      sequence.indices.contains(index) else { return best }
                node = sequence[index]
                best = node.mark ?? best
            default:
                return best
            }
        }
        return best
    }
}
