/// Reads how many threads the calling process has, from `/proc/self/status`.
enum ThreadCount {
    /// The `Threads:` value, or `nil` when `/proc` is not readable.
    static func current() -> Int? {
        guard let status = ProcFile.read("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingSpaces())
        }
        return nil
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
