import Glibc

/// Something the master must do at a given instant, the key of a ``DeadlineQueue``.
enum Deadline: Hashable {
    /// The initial workers must all be ready by then, or the master stops.
    case startup
    /// `WATCHDOG=1` is due.
    case watchdogPing
    /// Heartbeats are checked for hung workers.
    case heartbeatCheck
    /// Worker lifetimes are checked for recycling.
    case lifetimeCheck
    /// The systemd notifier has a rate-limited `STATUS=` or a retry due; the notifier keeps
    /// its own state and this deadline mirrors its next one, refreshed every turn.
    case notifier
    /// Control clients have requests to answer or a timeout due; the clients keep their own
    /// deadlines and this one mirrors their nearest, refreshed every turn.
    case controlClients
    /// The slot stays empty until then (a backoff delay or a failed fork).
    case respawn(WorkerSlot)
    /// The replacement a service's rolling restart waits for must be ready by then.
    case rollReadiness(ServiceID)
    /// The process group of the worker with this pid gets `SIGKILL` if it has not stopped.
    case killWorker(pid_t)
    /// What is still in the leftover process group with this id gets `SIGKILL`.
    case killLeftoverGroup(pid_t)
    /// The check run of an upgrade must have ended by then, or its group gets `SIGKILL`
    /// and the upgrade is refused.
    case upgradeCheck
}

/// The master's timers: at most one instant per ``Deadline``, so the loop sleeps until the
/// nearest one and then handles those that are due, whatever their kind.
///
/// Finding the nearest deadline and the due ones scans every entry, as many as there are
/// timers armed (a few, plus one per stopping worker or leftover group).
struct DeadlineQueue {
    /// When an entry is due, and when it was scheduled relative to the others.
    private struct Entry {
        /// The instant the deadline is due.
        let instant: MonotonicInstant
        /// The scheduling order, which orders deadlines due at the same instant.
        let sequence: UInt64
    }

    /// The armed deadlines.
    private var entries: [Deadline: Entry] = [:]
    /// The sequence number of the next scheduling.
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    init() {}

    /// Arms `deadline` at `instant`, replacing the instant it had.
    mutating func schedule(_ deadline: Deadline, at instant: MonotonicInstant) {
        entries[deadline] = Entry(instant: instant, sequence: nextSequence)
        nextSequence += 1
    }

    /// Arms `deadline` at `instant`, or disarms it when `instant` is `nil`.
    mutating func update(_ deadline: Deadline, to instant: MonotonicInstant?) {
        if let instant {
            schedule(deadline, at: instant)
        } else {
            cancel(deadline)
        }
    }

    /// Disarms `deadline`, if armed.
    mutating func cancel(_ deadline: Deadline) {
        entries[deadline] = nil
    }

    /// Disarms every deadline that `matches` selects.
    mutating func cancelAll(where matches: (Deadline) -> Bool) {
        entries = entries.filter { !matches($0.key) }
    }

    /// The instant `deadline` is armed at, or `nil` when it is not.
    func instant(of deadline: Deadline) -> MonotonicInstant? {
        entries[deadline]?.instant
    }

    /// The nearest armed instant, or `nil` when none is armed.
    var next: MonotonicInstant? {
        entries.values.lazy.map(\.instant).min()
    }

    /// Disarms and returns the deadlines due at `now`, earliest first; those due at the
    /// same instant in the order they were scheduled.
    mutating func popDue(now: MonotonicInstant) -> [Deadline] {
        let due = entries.filter { $0.value.instant <= now }
            .sorted { ($0.value.instant, $0.value.sequence) < ($1.value.instant, $1.value.sequence) }
        for (deadline, _) in due {
            entries[deadline] = nil
        }
        return due.map(\.key)
    }

    /// The `epoll_wait` timeout reaching the nearest deadline from `now` (see
    /// ``MonotonicInstant/pollTimeout(from:)``), or -1 (wait forever) when none is armed.
    func pollTimeout(now: MonotonicInstant) -> Int32 {
        next?.pollTimeout(from: now) ?? -1
    }
}
