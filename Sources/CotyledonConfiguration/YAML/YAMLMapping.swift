/// The pairs of a YAML mapping in file order, with a hashed index of their keys: adding
/// a pair (and finding the earlier one of a repeated key) and looking a key up take
/// constant time, so composing and decoding a mapping is linear in its size.
struct YAMLMapping: Equatable {
    /// The pairs, in the order the file writes them.
    private(set) var pairs: [YAMLPair] = []
    private var indexByKey: [String: Int] = [:]

    /// The pair of `key`, if the mapping has one.
    subscript(key: String) -> YAMLPair? {
        indexByKey[key].map { pairs[$0] }
    }

    /// Adds `pair` unless its key is already there.
    ///
    /// - Returns: `nil` when the pair was added, else the earlier pair with the same key
    ///   (the mapping is unchanged).
    mutating func insert(_ pair: YAMLPair) -> YAMLPair? {
        if let existing = indexByKey[pair.key] { return pairs[existing] }
        indexByKey[pair.key] = pairs.count
        pairs.append(pair)
        return nil
    }

    static func == (left: YAMLMapping, right: YAMLMapping) -> Bool {
        left.pairs == right.pairs
    }
}
