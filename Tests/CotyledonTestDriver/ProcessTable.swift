import Glibc

/// Finds the descendants of a process by scanning `/proc`.
enum ProcessTable {
    /// Every process whose parent chain leads to `root` (excluding `root`), zombies included,
    /// in breadth-first order from `root`.
    static func descendants(of root: pid_t) -> [ProcessEntry] {
        var children: [pid_t: [ProcessEntry]] = [:]
        for entry in allProcesses() {
            children[entry.ppid, default: []].append(entry)
        }
        var result: [ProcessEntry] = []
        var queue = [root]
        while !queue.isEmpty {
            let parent = queue.removeFirst()
            for child in (children[parent] ?? []).sorted(by: { $0.pid < $1.pid }) {
                result.append(child)
                queue.append(child.pid)
            }
        }
        return result
    }

    /// Whether `pid` with `startTime` still is a descendant of `root`.
    static func isDescendant(_ pid: pid_t, startTime: UInt64, of root: pid_t) -> Bool {
        var current = pid
        var first = true
        for _ in 0..<4096 {
            guard let entry = ProcessEntry(pid: current) else { return false }
            if first {
                guard entry.startTime == startTime else { return false }
                first = false
            }
            if entry.ppid == root { return true }
            if entry.ppid <= 1 { return false }
            current = entry.ppid
        }
        return false
    }

    private static func allProcesses() -> [ProcessEntry] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var result: [ProcessEntry] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let pid = pid_t(name), let entry = ProcessEntry(pid: pid) {
                result.append(entry)
            }
        }
        return result
    }
}
