import Glibc

/// What one batch of reaping knows of the master's children and of the processes in `/proc`,
/// to count what a dead worker left in its process group before the group is signalled.
///
/// The census reads the master's children list at most once and scans `/proc` at most once
/// (only when the master adopted some process) for the whole batch, instead of once per
/// exit. It stays valid for a worker whose exit came before it was taken: a dying worker's
/// children are re-parented to the master before the exit raises `SIGCHLD`, so the caller
/// takes a pending `SIGCHLD` after each exit it sees and starts a new census when there was
/// one (``invalidate()``): some child exited after the census was taken.
struct GroupCensus {
    /// The master's children that are not workers, when read.
    private var adopted: [pid_t]?
    /// Every process `/proc` lists, when scanned.
    private var processes: [ProcessStat]?

    /// An empty census: the first question reads what it needs.
    init() {}

    /// Forgets what was read: a child exited since.
    mutating func invalidate() {
        adopted = nil
        processes = nil
    }

    /// The processes in group `leader` other than the leader, a worker that exited and is
    /// not reaped yet; 0 without reading `/proc` when `adoptedProcesses` (read once) names
    /// none, since whatever is left in the group descends from the worker.
    mutating func membersBesidesLeader(_ leader: pid_t, adoptedProcesses: () -> [pid_t]) -> Int {
        if adopted == nil { adopted = adoptedProcesses() }
        guard adopted?.isEmpty == false else { return 0 }
        if processes == nil { processes = ProcessStat.all() }
        return Self.members(ofGroup: leader, among: processes ?? [])
    }

    /// How many of `processes` are in group `leader`, the leader left out: the pure rule.
    static func members(ofGroup leader: pid_t, among processes: [ProcessStat]) -> Int {
        processes.reduce(0) { $0 + ($1.processGroup == leader && $1.pid != leader ? 1 : 0) }
    }
}
