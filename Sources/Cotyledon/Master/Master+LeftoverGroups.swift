import Glibc
import Logging

extension Master {
    /// Logs the `count` processes left in the group of `worker`, which got `SIGTERM`, and arms
    /// the `SIGKILL` that follows after the service's graceful shutdown timeout.
    ///
    /// Only while supervising: while stopping, the groups get their `SIGTERM` uncounted, since
    /// the master exits once its workers are reaped and kills whatever it adopted then
    /// (logged `reaped-other`); no group deadline would come.
    func watchLeftovers(of worker: WorkerRecord, count: Int) {
        let timeout = worker.service.gracefulShutdownTimeout
        var fields = workerFields(worker, event: .workerGroupCleanup)
        fields["processes"] = "\(count)"
        fields["signal"] = "SIGTERM"
        // Expected at a requested stop (the processes may be stopping already), not after a crash.
        let level: Logger.Level = worker.stopRequest == nil && !worker.announcedReloadExit ? .warning : .info
        logger.log(level: level, "\(count) process\(count == 1 ? "" : "es") left in the process group of \(worker.label): sent SIGTERM, SIGKILL in \(timeout.secondsValue) s to those still there",
                   metadata: fields)
        children.leftoverGroups[worker.pid] = LeftoverGroup(id: worker.pid, workerLabel: worker.label,
                                                   fields: workerFields(worker, event: .workerGroupKill))
        deadlines.schedule(.killLeftoverGroup(worker.pid), at: .now + timeout)
    }

    /// Sends `SIGKILL` to the leftover group `id`, whose deadline passed, to the processes
    /// `/proc` confirms are still in it (see ``ProcessGroup/leftovers(of:)``).
    func killLeftoverGroup(_ id: pid_t) {
        guard let group = children.leftoverGroups.removeValue(forKey: id) else { return }
        let left = ProcessGroup.leftovers(of: group.id)
        guard !left.isEmpty else { return }
        // A member that is the master's own child stays (at least as a zombie) until the
        // master reaps it, and so does the group's id: the group signal is then safe, and
        // it also reaches members forked since the scan. Otherwise each member is signalled.
        let me = getpid()
        if left.contains(where: { $0.parent == me }) {
            Syscall.send(.kill, toGroup: group.id)
        } else {
            for process in left { Syscall.send(.kill, toProcess: process.pid) }
        }
        var fields = group.fields
        fields["processes"] = "\(left.count)"
        fields["signal"] = "SIGKILL"
        logger.warning("\(left.count) process\(left.count == 1 ? "" : "es") still in the process group of \(group.workerLabel) after the graceful shutdown timeout: sending SIGKILL",
                       metadata: fields)
    }
}
