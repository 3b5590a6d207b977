import Glibc

/// The master's children: its workers by pid, the process groups dead workers left
/// behind, and the orphans it adopted as a subreaper (or as PID 1).
struct ProcessTable {
    /// Every live worker, replacements and stopping ones included, by pid.
    var workers: [pid_t: WorkerRecord] = [:]
    /// Process groups of dead workers with processes left in them, by group id.
    var leftoverGroups: [pid_t: LeftoverGroup] = [:]
    /// Workers handed over by the master's previous image whose service this build does
    /// not run, by pid, until they are reaped.
    var vanishedWorkers: [pid_t: VanishedWorker] = [:]
    /// The check run of an upgrade, until it is reaped.
    var upgradeCheck: UpgradeCheck?
    /// Whether `/proc` lists the master's own pid namespace, where adopted orphans can be found.
    let procShowsOwnPidNamespace = ProcFile.showsOwnPidNamespace

    /// Children of the master that are not workers: orphans it adopted as a subreaper (or
    /// as PID 1 of a pid namespace). None when `/proc` shows another pid namespace: its
    /// pids are not the master's to signal (warned at start).
    func adoptedProcesses() -> [pid_t] {
        guard procShowsOwnPidNamespace else { return [] }
        let children = ProcFile.pids(in: ProcFile.bytes("/proc/thread-self/children") ?? [])
        return children.filter { workers[$0] == nil && upgradeCheck?.pid != $0 }
    }
}
