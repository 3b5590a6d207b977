/// What one decoding read: every mapping a keyed container was opened on, and the keys
/// the model asked for in it. Keys of those mappings that nobody asked for are unknown.
final class NodeDecodingLedger {
    /// One mapping of the file that the model read as a keyed container.
    struct Record {
        /// Where the mapping sits.
        var keyPath: [String]
        /// The mapping itself, with the positions of its keys.
        var mapping: YAMLMapping
        /// The keys the model asked for or declared, in the order it did.
        var allowedKeys: [String]
        /// Whether ``allowedKeys`` holds every key the model can read here (its
        /// `CodingKey` type is `CaseIterable`), not just the ones asked for so far.
        var isComplete: Bool
    }

    private(set) var records: [Record] = []
    private var indexByKeyPath: [[String]: Int] = [:]

    /// Notes that the model opened a keyed container on `mapping`.
    ///
    /// - Parameter declaredKeys: every key of the model's `CodingKey` type, when it is
    ///   `CaseIterable`.
    func enter(_ mapping: YAMLMapping, at keyPath: [String], declaredKeys: [String]?) {
        let index: Int
        if let existing = indexByKeyPath[keyPath] {
            index = existing
        } else {
            index = records.count
            indexByKeyPath[keyPath] = index
            records.append(Record(keyPath: keyPath, mapping: mapping, allowedKeys: [], isComplete: false))
        }
        if let declaredKeys {
            records[index].isComplete = true
            for key in declaredKeys { allow(key, at: keyPath) }
        }
    }

    /// Notes that the model asked for `key` in the mapping at `keyPath`.
    func allow(_ key: String, at keyPath: [String]) {
        guard let index = indexByKeyPath[keyPath] else { return }
        if !records[index].allowedKeys.contains(key) {
            records[index].allowedKeys.append(key)
        }
    }

    /// The record of the mapping at `keyPath`, if the model read it.
    func record(at keyPath: [String]) -> Record? {
        indexByKeyPath[keyPath].map { records[$0] }
    }

    /// The keys of a record that the model did not ask for, in file order.
    static func unknownKeys(of record: Record) -> [(name: String, position: TextPosition)] {
        let allowed = Set(record.allowedKeys)
        return record.mapping.pairs.compactMap { pair in
            allowed.contains(pair.key) ? nil : (pair.key, pair.keyPosition)
        }
    }

    /// The first unknown key in file order, over every mapping the model read.
    func firstUnknownKey() -> (record: Record, name: String, position: TextPosition)? {
        var first: (record: Record, name: String, position: TextPosition)?
        for record in records {
            for (name, position) in NodeDecodingLedger.unknownKeys(of: record) {
                if let current = first, (current.position.line, current.position.column) < (position.line, position.column) { continue }
                first = (record, name, position)
            }
        }
        return first
    }
}
