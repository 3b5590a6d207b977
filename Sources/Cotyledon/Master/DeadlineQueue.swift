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
/// A ``TimerQueue`` ordered by instant (then scheduling order) beside a table of the armed
/// deadlines: arming, cancelling and popping cost a logarithm of the number of timers, and
/// the nearest instant is read at once, however many workers are stopping (each has its
/// own kill deadline). Cancelling or re-arming leaves the old scheduling in the queue,
/// stale, skipped when it surfaces; the queue is rebuilt when stale schedulings outnumber
/// live ones.
struct DeadlineQueue {
    /// When an armed deadline is due, and when it was scheduled relative to the others.
    private struct Entry {
        /// The instant the deadline is due.
        let instant: MonotonicInstant
        /// The scheduling order, which orders deadlines due at the same instant.
        let sequence: UInt64
    }

    /// One scheduling in the queue; stale once its deadline was cancelled or armed again.
    private struct Scheduling {
        let deadline: Deadline
        let sequence: UInt64
    }

    /// The armed deadlines.
    private var entries: [Deadline: Entry] = [:]
    /// Every scheduling not yet popped or dropped; the first is live (or there is none)
    /// after every change.
    private var queue = TimerQueue<Scheduling>()
    /// The sequence number of the next scheduling.
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    init() {}

    /// Arms `deadline` at `instant`, replacing the instant it had.
    mutating func schedule(_ deadline: Deadline, at instant: MonotonicInstant) {
        let entry = Entry(instant: instant, sequence: nextSequence)
        nextSequence += 1
        entries[deadline] = entry
        queue.insert(Scheduling(deadline: deadline, sequence: entry.sequence), at: instant)
        tidy()
    }

    /// Arms `deadline` at `instant`, or disarms it when `instant` is `nil`.
    mutating func update(_ deadline: Deadline, to instant: MonotonicInstant?) {
        if let instant {
            // The notifier's and the clients' deadlines are copied in every turn, mostly unchanged.
            guard entries[deadline]?.instant != instant else { return }
            schedule(deadline, at: instant)
        } else {
            cancel(deadline)
        }
    }

    /// Disarms `deadline`, if armed.
    mutating func cancel(_ deadline: Deadline) {
        guard entries.removeValue(forKey: deadline) != nil else { return }
        tidy()
    }

    /// Disarms every deadline that `matches` selects.
    mutating func cancelAll(where matches: (Deadline) -> Bool) {
        entries = entries.filter { !matches($0.key) }
        rebuild()
    }

    /// The instant `deadline` is armed at, or `nil` when it is not.
    func instant(of deadline: Deadline) -> MonotonicInstant? {
        entries[deadline]?.instant
    }

    /// The nearest armed instant, or `nil` when none is armed.
    var next: MonotonicInstant? {
        queue.earliestDeadline
    }

    /// Disarms and returns the deadlines due at `now`, earliest first; those due at the
    /// same instant in the order they were scheduled.
    mutating func popDue(now: MonotonicInstant) -> [Deadline] {
        var due: [Deadline] = []
        while let first = queue.first, first.deadline <= now {
            queue.removeFirst()
            if isLive(first.element) {
                entries[first.element.deadline] = nil
                due.append(first.element.deadline)
            }
        }
        tidy()
        return due
    }

    /// The `epoll_wait` timeout reaching the nearest deadline from `now` (see
    /// ``MonotonicInstant/pollTimeout(from:)``), or -1 (wait forever) when none is armed.
    func pollTimeout(now: MonotonicInstant) -> Int32 {
        next?.pollTimeout(from: now) ?? -1
    }

    // MARK: - Stale schedulings

    private func isLive(_ scheduling: Scheduling) -> Bool {
        entries[scheduling.deadline]?.sequence == scheduling.sequence
    }

    /// Drops the stale schedulings on top, and rebuilds the queue when most of it is stale.
    private mutating func tidy() {
        if queue.count > 2 * entries.count + 64 {
            rebuild()
            return
        }
        while let first = queue.first, !isLive(first.element) {
            queue.removeFirst()
        }
    }

    /// The queue of the armed deadlines alone, inserted in their order so that ties keep it.
    private mutating func rebuild() {
        queue = TimerQueue()
        let armed = entries.sorted { ($0.value.instant, $0.value.sequence) < ($1.value.instant, $1.value.sequence) }
        for (deadline, entry) in armed {
            queue.insert(Scheduling(deadline: deadline, sequence: entry.sequence), at: entry.instant)
        }
    }
}
