import CSystemd
import Glibc
import Logging

/// Tells the service manager what the master is doing, with `sd_notify` (libsystemd).
///
/// Only the master notifies (`NotifyAccess=main`); workers have `NOTIFY_SOCKET` removed
/// from their environment. Without `NOTIFY_SOCKET` every call is a no-op. A malformed
/// or unreachable socket is libsystemd's to report: the first failure is logged, none is
/// fatal. `STATUS=` updates are rate-limited to one per ``statusInterval`` so a crash
/// storm cannot flood the manager; the latest text always goes out.
final class SystemdNotifier {
    /// The shortest time between two `STATUS=` datagrams.
    static let statusInterval: Duration = .milliseconds(100)

    /// Whether a service manager listens (`NOTIFY_SOCKET` was set when the master started).
    let isEnabled: Bool
    /// How often to send `WATCHDOG=1` (half of `WATCHDOG_USEC`, within the bounds of
    /// ``WatchdogPingInterval``), or `nil` when the watchdog is off or meant for another
    /// process (`WATCHDOG_PID`).
    let watchdogInterval: Duration?

    private let logger: Logger
    private var loggedFailure = false
    private var lastStatus: (text: String, sentAt: MonotonicInstant)?
    private var pendingStatus: String?

    /// Reads `NOTIFY_SOCKET` and the watchdog settings of the calling (master) process.
    init(logger: Logger) {
        self.logger = logger
        isEnabled = getenv("NOTIFY_SOCKET") != nil
        watchdogInterval = Self.watchdogInterval(logger: logger)
    }

    private static func watchdogInterval(logger: Logger) -> Duration? {
        var microseconds: UInt64 = 0
        let enabled = sd_watchdog_enabled(0, &microseconds)
        guard enabled > 0, microseconds > 0 else {
            if enabled < 0 {
                let usec = getenv("WATCHDOG_USEC").map { String(cString: $0) } ?? "(unset)"
                let pid = getenv("WATCHDOG_PID").map { String(cString: $0) } ?? "(unset)"
                logger.warning("ignoring the watchdog: WATCHDOG_USEC=\(usec) WATCHDOG_PID=\(pid) are not valid (\(String(cString: strerror(-enabled)))); no WATCHDOG=1 will be sent",
                               metadata: ["event": "watchdog-ignored"])
            }
            return nil
        }
        let ping = WatchdogPingInterval(watchdogMicroseconds: microseconds)
        if let reason = ping.clampReason {
            logger.warning("\(reason)", metadata: ["event": "watchdog-clamped", "usec": "\(microseconds)",
                                                   "interval": "\(ping.interval.secondsValue)"])
        }
        return ping.interval
    }

    /// Sends `assignments` (`KEY=VALUE` each) in one datagram.
    func send(_ assignments: String...) {
        guard isEnabled else { return }
        let result = sd_notify(0, assignments.joined(separator: "\n"))
        if result < 0, !loggedFailure {
            loggedFailure = true
            let socket = getenv("NOTIFY_SOCKET").map { String(cString: $0) } ?? "(unset)"
            logger.warning("sd_notify to NOTIFY_SOCKET=\(socket) failed: \(String(cString: strerror(-result))); further failures are not logged",
                           metadata: ["event": "notify-failed"])
        }
    }

    /// Sends `READY=1` with the current status.
    func ready(status: String) {
        send("READY=1", "STATUS=\(status)")
        recordStatusSent(status)
    }

    /// Sends `RELOADING=1` with the `MONOTONIC_USEC=` systemd 253's `Type=notify-reload` requires.
    func reloading() {
        send("RELOADING=1", "MONOTONIC_USEC=\(MonotonicInstant.now.nanoseconds / 1000)", "STATUS=reloading")
    }

    /// Sends `STOPPING=1`, asking for at least `timeout` more to stop.
    func stopping(within timeout: Duration) {
        send("STOPPING=1", "EXTEND_TIMEOUT_USEC=\(timeout.nanoseconds / 1000)")
    }

    /// Sends `WATCHDOG=1`.
    func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// Sends `STATUS=text` now, or at ``nextStatusDeadline`` if one was sent less than
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

    /// When a rate-limited `STATUS=` is due, if one waits.
    var nextStatusDeadline: MonotonicInstant? {
        guard pendingStatus != nil, let lastStatus else { return nil }
        return lastStatus.sentAt + Self.statusInterval
    }

    /// Sends the waiting `STATUS=` if its time has come.
    func flushStatus(now: MonotonicInstant) {
        guard let pendingStatus, let deadline = nextStatusDeadline, deadline <= now else { return }
        send("STATUS=\(pendingStatus)")
        recordStatusSent(pendingStatus)
    }

    private func recordStatusSent(_ text: String) {
        lastStatus = (text, .now)
        pendingStatus = nil
    }
}
