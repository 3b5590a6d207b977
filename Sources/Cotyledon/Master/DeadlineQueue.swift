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
/// A binary heap ordered by instant (then scheduling order) beside a table of the armed
/// deadlines: arming, cancelling and popping cost a logarithm of the number of timers, and
/// the nearest instant is read at once, however many workers are stopping (each has its
/// own kill deadline). Cancelling or re-arming leaves the old heap element in place, stale,
/// skipped when it surfaces; the heap is rebuilt when stale elements outnumber live ones.
struct DeadlineQueue {
    /// When an entry is due, and when it was scheduled relative to the others.
    private struct Entry {
        /// The instant the deadline is due.
        let instant: MonotonicInstant
        /// The scheduling order, which orders deadlines due at the same instant.
        let sequence: UInt64
    }

    /// One scheduling in the heap; stale once its deadline was cancelled or armed again.
    private struct Element {
        let entry: Entry
        let deadline: Deadline

        func precedes(_ other: Element) -> Bool {
            (entry.instant, entry.sequence) < (other.entry.instant, other.entry.sequence)
        }
    }

    /// The armed deadlines.
    private var entries: [Deadline: Entry] = [:]
    /// Every scheduling not yet popped or dropped, as a min-heap; its first element is live
    /// (or the heap is empty) after every change.
    private var heap: [Element] = []
    /// The sequence number of the next scheduling.
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    init() {}

    /// Arms `deadline` at `instant`, replacing the instant it had.
    mutating func schedule(_ deadline: Deadline, at instant: MonotonicInstant) {
        let entry = Entry(instant: instant, sequence: nextSequence)
        nextSequence += 1
        entries[deadline] = entry
        push(Element(entry: entry, deadline: deadline))
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
        heap.first?.entry.instant
    }

    /// Disarms and returns the deadlines due at `now`, earliest first; those due at the
    /// same instant in the order they were scheduled.
    mutating func popDue(now: MonotonicInstant) -> [Deadline] {
        var due: [Deadline] = []
        while let first = heap.first, first.entry.instant <= now {
            popFirst()
            if isLive(first) {
                entries[first.deadline] = nil
                due.append(first.deadline)
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

    // MARK: - Heap

    private func isLive(_ element: Element) -> Bool {
        entries[element.deadline]?.sequence == element.entry.sequence
    }

    /// Drops the stale elements on top, and rebuilds the heap when most of it is stale.
    private mutating func tidy() {
        if heap.count > 2 * entries.count + 64 {
            rebuild()
            return
        }
        while let first = heap.first, !isLive(first) {
            popFirst()
        }
    }

    /// The heap of the armed deadlines alone (a sorted array is a heap).
    private mutating func rebuild() {
        heap = entries.map { Element(entry: $0.value, deadline: $0.key) }.sorted { $0.precedes($1) }
    }

    private mutating func push(_ element: Element) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
