import Glibc

/// Process groups, as seen in `/proc`: the caller's own (a worker's, killed when the master
/// is gone) and what is left of a dead worker's.
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
        for process in ProcessStat.all() where process.processGroup == group && process.pid != me {
            kill(process.pid, SIGKILL)
        }
    }

    /// The processes still in the group of a leader that was reaped, confirmed from `/proc`
    /// as members of that same group: in group `id`, in the caller's session, descending
    /// from the caller (adopted by it as a subreaper, or children of such).
    ///
    /// Once the leader is reaped, `id` may be reused: the kernel frees a pid only when no
    /// process has it as pid, process group or session, so a process whose *pid* is `id`
    /// means the old group is gone; none is returned then (a live worker, whose pid is its
    /// group's id, is never a leftover). A process that started a group with `setsid()` is
    /// in another session and is never a leftover either. What this cannot tell apart: a
    /// process that reused `id`, made it a group with `setpgid(0, 0)` in the caller's session
    /// and exited, leaving members; that takes the pids to wrap around within one graceful
    /// timeout and such a process in the caller's own tree.
    static func leftovers(of id: pid_t) -> [ProcessStat] {
        leftovers(of: id, among: ProcessStat.all(), caller: getpid(), session: getsid(0))
    }

    /// ``leftovers(of:)`` among `processes`, seen from `caller` in `session`: the pure rule,
    /// tested in-process.
    static func leftovers(of id: pid_t, among processes: [ProcessStat], caller: pid_t, session: pid_t) -> [ProcessStat] {
        guard !processes.contains(where: { $0.pid == id }) else { return [] }
        var parents: [pid_t: pid_t] = [:]
        for process in processes { parents[process.pid] = process.parent }
        return processes.filter { process in
            process.processGroup == id && process.session == session
                && descends(process.pid, from: caller, parents: parents)
        }
    }

    /// Whether following `parents` up from `pid` reaches `ancestor`.
    private static func descends(_ pid: pid_t, from ancestor: pid_t, parents: [pid_t: pid_t]) -> Bool {
        var current = parents[pid]
        for _ in 0..<parents.count {
            guard let parent = current else { return false }
            if parent == ancestor { return true }
            current = parents[parent]
        }
        return false
    }
}
