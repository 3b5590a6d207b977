import Glibc

/// The calling process's process group.
enum ProcessGroup {
    /// SIGKILLs every other member of the caller's process group (what a worker
    /// started), found by scanning `/proc`; the caller survives to exit with its own status.
    /// When `/proc` shows another pid namespace, its pids cannot be signalled: the whole
    /// group is killed, the caller with it.
    static func killOtherMembers() {
        let group = getpgrp()
        let me = getpid()
        guard ProcFile.showsOwnPidNamespace else {
            kill(0, SIGKILL)
            return
        }
        guard let directory = opendir("/proc") else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), pid != me, let stat = ProcFile.read("/proc/\(pid)/stat") else { continue }
            // Fields after the parenthesised command name: state, ppid, pgrp, …
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, pid_t(fields[2]) == group {
                kill(pid, SIGKILL)
            }
        }
    }
}
