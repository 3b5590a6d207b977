import Glibc

/// One process as `/proc/PID/stat` shows it: the fields that tell which process group and
/// session it is in and which process is its parent.
struct ProcessStat {
    let pid: pid_t
    let parent: pid_t
    let processGroup: pid_t
    let session: pid_t

    /// A process with these ids.
    init(pid: pid_t, parent: pid_t, processGroup: pid_t, session: pid_t) {
        self.pid = pid
        self.parent = parent
        self.processGroup = processGroup
        self.session = session
    }

    /// Reads `/proc/PID/stat`; `nil` when the process is gone or the file is not as expected.
    init?(pid: pid_t) {
        guard let stat = ProcFile.read("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        // The fields after the parenthesised command name: state, ppid, pgrp, session, …
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 3, let parent = pid_t(fields[1]), let group = pid_t(fields[2]),
              let session = pid_t(fields[3]) else { return nil }
        self.pid = pid
        self.parent = parent
        self.processGroup = group
        self.session = session
    }

    /// Every process `/proc` lists; one that exits while the directory is read is left out.
    static func all() -> [ProcessStat] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var processes: [ProcessStat] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let pid = pid_t(name), let process = ProcessStat(pid: pid) {
                processes.append(process)
            }
        }
        return processes
    }
}
