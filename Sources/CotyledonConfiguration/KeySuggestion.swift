/// "Did you mean" for misspelt keys.
enum KeySuggestion {
    /// The candidate closest to `key` in edit distance, if it is close enough to be a
    /// likely typo (`wrokers`, `minWorkers` for `min_workers`).
    ///
    /// A candidate whose length differs from the key's by more than the largest distance
    /// accepted (3) is never close enough and is not scored: a huge key costs one count of
    /// its characters, not an edit-distance table.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let length = key.count
        let scored = candidates.filter { abs($0.count - length) <= 3 }.map { ($0, distance(key, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = max(1, min(3, best.0.count / 3))
        return best.1 <= limit ? best.0 : nil
    }

    /// The edit distance between two strings, by characters: insertions, deletions,
    /// substitutions and swaps of neighbours (`hots` → `host`) count one each.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
