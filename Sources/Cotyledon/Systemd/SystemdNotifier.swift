import Glibc
import Logging
import SystemPackage

/// Tells the service manager what the master is doing over `NOTIFY_SOCKET` (the
/// `sd_notify(3)` protocol), without ever waiting for it.
///
/// Only the master notifies (`NotifyAccess=main`); workers have `NOTIFY_SOCKET` removed
/// from their environment and do not keep the socket (close-on-exec, and closed after the
/// fork). Without `NOTIFY_SOCKET` every call is a no-op.
///
/// libsystemd's `sd_notify` blocks while the manager's queue is full, which would freeze
/// the whole master. Here each datagram goes out on a non-blocking ``NotifyConnection``;
/// what cannot be sent yet waits in a ``NotificationQueue``, in order, and is retried when
/// the socket becomes writable (see ``watchSocketWhileBackedUp(with:token:)``) or at
/// ``nextDeadline`` (``NotifyBacklog``). The first backlog is logged as a warning, and its
/// end. A notification that cannot be sent at all (no socket at the address, no permission)
/// is dropped, as `sd_notify` drops it, and the first such failure logged; none is fatal.
/// `STATUS=` updates are rate-limited to one per ``statusInterval`` so a crash storm cannot
/// flood the manager; the latest text always goes out. Sockets for the manager's file
/// descriptor store travel the same way, as copies the queue owns
/// (``store(_:name:)``; libsystemd's `sd_pid_notify_with_fds` would block too).
/// libsystemd still reads the watchdog settings (`sd_watchdog_enabled`), loaded for that
/// when systemd set `WATCHDOG_USEC` for this process (``SystemdLibrary``).
final class SystemdNotifier {
    /// The shortest time between two `STATUS=` datagrams.
    static let statusInterval: Duration = .milliseconds(100)

    /// Whether a service manager listens (`NOTIFY_SOCKET` was set to a usable address when the master started).
    var isEnabled: Bool { connection != nil }
    /// How often to send `WATCHDOG=1` (half of `WATCHDOG_USEC`, within the bounds of
    /// ``WatchdogPingInterval``), or `nil` when the watchdog is off or meant for another
    /// process (`WATCHDOG_PID`).
    let watchdogInterval: Duration?

    private let logger: Logger
    private let connection: NotifyConnection?
    private var queue = NotificationQueue()
    private var backlog: NotifyBacklog?
    private var hadBacklog = false
    private var loggedFailure = false
    private var lastStatus: (text: String, sentAt: MonotonicInstant)?
    private var pendingStatus: String?
    /// Whether the master's `epoll` watches the socket for output.
    private var watchedForOutput = false

    /// Reads `NOTIFY_SOCKET` and the watchdog settings of the calling (master) process and
    /// creates the socket.
    ///
    /// - Throws: ``CotyledonError/systemdLibraryUnavailable(variable:reason:)`` when systemd
    ///   set a watchdog for this process and libsystemd cannot be loaded.
    init(logger: Logger) throws(CotyledonError) {
        self.logger = logger
        watchdogInterval = try Self.watchdogInterval(logger: logger)
        connection = Self.connection(logger: logger)
    }

    private static func connection(logger: Logger) -> NotifyConnection? {
        guard let variable = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }) else { return nil }
        do {
            return try NotifyConnection(address: NotifySocketAddress(variable))
        } catch {
            logger.warning("\(error); no notification will be sent", metadata: ["event": .event(.notifyFailed)])
            return nil
        }
    }

    private static func watchdogInterval(logger: Logger) throws(CotyledonError) -> Duration? {
        // Without WATCHDOG_USEC, or with a WATCHDOG_PID naming another process,
        // sd_watchdog_enabled answers 0: libsystemd is not loaded for that.
        guard getenv("WATCHDOG_USEC") != nil else { return nil }
        if let pid = getenv("WATCHDOG_PID").flatMap({ pid_t(String(cString: $0)) }), pid != getpid() { return nil }
        var microseconds: UInt64 = 0
        let enabled = try SystemdLibrary.load(for: "WATCHDOG_USEC").watchdogEnabled(0, &microseconds)
        guard enabled > 0, microseconds > 0 else {
            if enabled < 0 {
                let usec = getenv("WATCHDOG_USEC").map { String(cString: $0) } ?? "(unset)"
                let pid = getenv("WATCHDOG_PID").map { String(cString: $0) } ?? "(unset)"
                logger.warning("ignoring the watchdog: WATCHDOG_USEC=\(usec) WATCHDOG_PID=\(pid) are not valid (\(String(cString: strerror(-enabled)))); no WATCHDOG=1 will be sent",
                               metadata: ["event": .event(.watchdogIgnored)])
            }
            return nil
        }
        let ping = WatchdogPingInterval(watchdogMicroseconds: microseconds)
        if let reason = ping.clampReason {
            logger.warning("\(reason)", metadata: ["event": .event(.watchdogClamped), "usec": "\(microseconds)",
                                                   "interval": "\(ping.interval.secondsValue)"])
        }
        return ping.interval
    }

    // MARK: - Notifications

    /// Sends `assignments` (`KEY=VALUE` each) in one datagram, now or, when the manager is
    /// not reading, after the ones waiting.
    func send(_ assignments: String...) {
        guard isEnabled else { return }
        enqueue(NotificationQueue.Notification(assignments))
    }

    private func enqueue(_ notification: NotificationQueue.Notification) {
        queue.enqueue(notification)
        flush(after: .newNotification, now: .now)
    }

    /// Puts a copy of `descriptor` in the manager's file descriptor store as `name`
    /// (`FDSTORE=1`, `FDNAME=name`). The copy (close-on-exec) waits in the queue like any
    /// notification and is closed once sent or dropped; the caller keeps `descriptor`.
    ///
    /// - Throws: the `Errno` of the copy (out of descriptors); nothing is queued.
    func store(_ descriptor: FileDescriptor, name: String) throws(Errno) {
        guard isEnabled else { return }
        let copy = try Syscall.duplicateCloseOnExec(descriptor)
        enqueue(NotificationQueue.Notification(["FDSTORE=1", "FDNAME=\(name)"], passing: [copy]))
    }

    /// Asks the manager to close the descriptors its store holds as `name` (`FDSTOREREMOVE=1`).
    func removeFromStore(name: String) {
        send("FDSTOREREMOVE=1", "FDNAME=\(name)")
    }

    /// Sends `READY=1` with the current status.
    func ready(status: String) {
        send("READY=1", "STATUS=\(status)")
        recordStatusSent(status)
    }

    /// Sends `RELOADING=1` with the `MONOTONIC_USEC=` systemd 253's `Type=notify-reload` requires,
    /// and `STATUS=status` (`upgrading` for an in-place upgrade).
    func reloading(status: String = "reloading") {
        send("RELOADING=1", "MONOTONIC_USEC=\(MonotonicInstant.now.nanoseconds / 1000)", "STATUS=\(status)")
    }

    /// Sends `STOPPING=1`, asking for at least `timeout` more to stop.
    func stopping(within timeout: Duration) {
        send("STOPPING=1", "EXTEND_TIMEOUT_USEC=\(timeout.nanoseconds / 1000)")
    }

    /// Sends `WATCHDOG=1`.
    func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// Sends `STATUS=text` now, or at ``nextDeadline`` if one was sent less than
    /// ``statusInterval`` ago. Identical texts are not sent twice.
    func updateStatus(_ text: @autoclosure () -> String, now: MonotonicInstant) {
        guard isEnabled else { return }
        let text = text()
        guard text != (pendingStatus ?? lastStatus?.text) else { return }
        if let lastStatus, now - lastStatus.sentAt < Self.statusInterval {
            pendingStatus = text
        } else {
            send("STATUS=\(text)")
            recordStatusSent(text)
        }
    }

    private func recordStatusSent(_ text: String) {
        lastStatus = (text, .now)
        pendingStatus = nil
    }

    // MARK: - The master's loop

    /// The next time ``sendDue(now:)`` has something to do: a rate-limited `STATUS=`, or a
    /// retry of waiting notifications.
    var nextDeadline: MonotonicInstant? {
        let status = pendingStatus == nil ? nil : lastStatus.map { $0.sentAt + Self.statusInterval }
        return [status, backlog?.retryAt].compactMap { $0 }.min()
    }

    /// Sends the waiting `STATUS=` and retries waiting notifications, if their time has come.
    func sendDue(now: MonotonicInstant) {
        if let pendingStatus, let lastStatus, lastStatus.sentAt + Self.statusInterval <= now {
            send("STATUS=\(pendingStatus)")
            recordStatusSent(pendingStatus)
        }
        if let retryAt = backlog?.retryAt, retryAt <= now {
            flush(after: .retry, now: now)
        }
    }

    /// The notify socket, when there is one.
    private var descriptor: FileDescriptor? { connection?.descriptor }

    /// Whether the master should watch ``descriptor`` for output: notifications wait for
    /// the manager's queue to have room.
    private var awaitsWritableSocket: Bool { backlog?.watchesOutput == true }

    /// Registers the socket with `events` for output (as `token`) while notifications wait
    /// for the manager's queue to have room, and only then: an idle socket is always writable.
    func watchSocketWhileBackedUp(with events: EventPoll, token: UInt64) {
        let wanted = awaitsWritableSocket
        guard wanted != watchedForOutput, let descriptor else { return }
        // Should epoll_ctl fail, waiting notifications are still retried at ``nextDeadline``.
        try? events.watchOutput(of: descriptor, token: token, wanted)
        watchedForOutput = wanted
    }

    /// `epoll` reported the socket writable: sends what waits.
    func socketBecameWritable(now: MonotonicInstant) {
        guard backlog != nil else { return }
        flush(after: .writable, now: now)
    }

    /// Tries once more to send what waits, without waiting, before the master exits.
    func flushBeforeExit() {
        guard backlog != nil else { return }
        flush(after: .retry, now: .now)
        guard !queue.isEmpty, let connection else { return }
        logger.warning("\(queue.pending.count) notifications were not delivered: NOTIFY_SOCKET=\(connection.address.text) is not reading",
                       metadata: ["event": .event(.notifyUndelivered), "count": "\(queue.pending.count)"])
    }

    // MARK: - Sending

    /// Sends queued notifications in order until the queue is empty or the manager's is full.
    private func flush(after attempt: NotifyBacklog.Attempt, now: MonotonicInstant) {
        guard let connection else { return }
        var progressed = false
        while let next = queue.first {
            switch connection.send(next.text, passing: next.descriptors) {
            case .sent:
                queue.removeFirst()
                progressed = true
            case .failed(let reason):
                queue.removeFirst()
                reportFailure(reason, address: connection.address)
            case .wouldBlock:
                if backlog == nil {
                    beginBacklog(now: now, address: connection.address)
                } else {
                    backlog?.stillBlocked(after: attempt, progressed: progressed, now: now)
                }
                return
            }
        }
        if let backlog {
            self.backlog = nil
            logger.log(level: backlog.isReported ? .info : .debug,
                       "NOTIFY_SOCKET=\(connection.address.text) took the waiting notifications after \((now - backlog.since).secondsValue) s",
                       metadata: ["event": .event(.notifyDrained), "waited": "\((now - backlog.since).secondsValue)",
                                  "dropped": "\(queue.droppedCount)"])
        }
    }

    private func beginBacklog(now: MonotonicInstant, address: NotifySocketAddress) {
        backlog = NotifyBacklog(since: now, isReported: !hadBacklog)
        logger.log(level: hadBacklog ? .debug : .warning,
                   "NOTIFY_SOCKET=\(address.text) is not reading: notifications wait, in order, until it has room (at most \(queue.capacity), status lines and watchdog pings coalesced); later backlogs are logged at debug level",
                   metadata: ["event": .event(.notifyBacklog), "queued": "\(queue.pending.count)"])
        hadBacklog = true
    }

    private func reportFailure(_ reason: String, address: NotifySocketAddress) {
        guard !loggedFailure else { return }
        loggedFailure = true
        logger.warning("notification to NOTIFY_SOCKET=\(address.text) failed: \(reason); further failures are not logged",
                       metadata: ["event": .event(.notifyFailed)])
    }
}
