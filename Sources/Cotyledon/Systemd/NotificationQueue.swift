internal import CotyledonControlProtocol
import SystemPackage

/// The notifications the service manager has not taken yet, in the order they were made.
///
/// State changes (`READY=1`, `RELOADING=1`, `STOPPING=1`, `MAINPID=`) stay separate
/// datagrams in their order: they are never merged nor dropped for a newer one. A status
/// line (`STATUS=` alone) replaces a status line still waiting, and a watchdog ping
/// (`WATCHDOG=1`) is not queued twice: only the latest status and one ping matter. Past
/// ``capacity`` the oldest notification is dropped and counted.
///
/// A notification may carry descriptors (`FDSTORE=1`): the queue owns them, closes them
/// once the notification is taken off (sent, or failed) or dropped, and never coalesces
/// such a notification. A queue is therefore never copied.
struct NotificationQueue {
    /// One datagram's text (`KEY=VALUE` lines) and what it says.
    struct Notification: Equatable {
        /// What a notification says, which decides how it is queued.
        enum Kind: Equatable {
            /// A state change or anything else that must arrive as sent.
            case state
            /// Only `STATUS=`: superseded by the next status line.
            case status
            /// Only `WATCHDOG=1`: one waiting ping is as good as several.
            case watchdog
        }

        /// The datagram: the assignments joined by newlines.
        let text: String
        let kind: Kind
        /// Descriptors sent with the datagram (`SCM_RIGHTS`), owned by the queue once queued.
        let descriptors: [FileDescriptor]

        /// The notification carrying `assignments` (`KEY=VALUE` each) in one datagram.
        ///
        /// Control characters in an assignment are escaped: a newline is what separates
        /// assignments, and a status text may quote a configuration key, so a key such as
        /// `"x\nWATCHDOG=trigger"` would otherwise send systemd an assignment of its own
        /// (and a NUL would cut the datagram short).
        ///
        /// `descriptors` go with it (copies the queue closes; see ``NotificationQueue``): such
        /// a notification is always a ``Kind/state``, never coalesced.
        init(_ assignments: [String], passing descriptors: [FileDescriptor] = []) {
            text = assignments.map { EscapedText.controls(in: $0) }.joined(separator: "\n")
            self.descriptors = descriptors
            if !descriptors.isEmpty {
                kind = .state
            } else if assignments == ["WATCHDOG=1"] {
                kind = .watchdog
            } else if !assignments.isEmpty, assignments.allSatisfy({ $0.hasPrefix("STATUS=") }) {
                kind = .status
            } else {
                kind = .state
            }
        }
    }

    /// How many notifications wait at most: far more than a daemon makes while the manager
    /// is merely slow (a status line and a ping, plus two per reload).
    static let defaultCapacity = 128

    /// The most notifications kept.
    let capacity: Int
    /// The waiting notifications, oldest first.
    private(set) var pending: [Notification] = []
    /// How many were dropped because the queue was full.
    private(set) var droppedCount = 0

    /// An empty queue holding at most `capacity` notifications (at least one).
    init(capacity: Int = Self.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// The next notification to send.
    var first: Notification? { pending.first }

    /// Whether nothing waits.
    var isEmpty: Bool { pending.isEmpty }

    /// Queues `notification` behind the others, coalescing status lines and pings; the
    /// queue owns its descriptors from now on.
    mutating func enqueue(_ notification: Notification) {
        switch notification.kind {
        case .watchdog:
            guard !pending.contains(where: { $0.kind == .watchdog }) else { return }
        case .status:
            pending.removeAll { $0.kind == .status }
        case .state:
            break
        }
        pending.append(notification)
        if pending.count > capacity {
            Self.close(pending.removeFirst())
            droppedCount += 1
        }
    }

    /// Takes the first notification off the queue (it was sent, or it cannot be) and closes
    /// its descriptors: the manager got its own copies, or gets none.
    mutating func removeFirst() {
        if !pending.isEmpty { Self.close(pending.removeFirst()) }
    }

    private static func close(_ notification: Notification) {
        for descriptor in notification.descriptors { Syscall.close(descriptor) }
    }
}
