/// How often the master sends `WATCHDOG=1`: half the watchdog timeout systemd sets in
/// `WATCHDOG_USEC` (`WatchdogSec=`), kept within ``shortest``...``longest``.
///
/// A timeout of a few microseconds would make the master ping in a busy loop, one of
/// centuries would put the next ping beyond any clock; both are clamped and warned about.
/// Pinging more often than needed is harmless, so the ceiling never endangers a watchdog;
/// below the floor systemd's timeout is shorter than the master can honour.
struct WatchdogPingInterval: Equatable {
    /// The shortest interval: at most ten pings a second (`WatchdogSec=` of 0.2 s or more is honoured as asked).
    static let shortest: Duration = .milliseconds(100)
    /// The longest interval (`WatchdogSec=` of up to a day is honoured as asked).
    static let longest: Duration = .seconds(12 * 3600)

    /// The interval used.
    let interval: Duration
    /// `WATCHDOG_USEC` as systemd set it.
    let watchdogMicroseconds: UInt64
    /// The watchdog timeout systemd asked for.
    let timeout: Duration
    /// Whether half the timeout fell outside ``shortest``...``longest`` and was clamped.
    var isClamped: Bool { interval != timeout / 2 }

    /// The interval for `WATCHDOG_USEC=microseconds`.
    init(watchdogMicroseconds microseconds: UInt64) {
        watchdogMicroseconds = microseconds
        timeout = .microseconds(Int64(clamping: microseconds))
        interval = min(max(timeout / 2, Self.shortest), Self.longest)
    }

    /// Why the interval is not half the timeout, for the warning; `nil` when it is.
    var clampReason: String? {
        guard isClamped else { return nil }
        let asked = "WATCHDOG_USEC=\(watchdogMicroseconds) (WatchdogSec=\(timeout.secondsValue) s)"
        if interval == Self.shortest {
            return "\(asked) asks for a ping every \((timeout / 2).secondsValue) s; the master pings at most every \(Self.shortest.secondsValue) s"
                + (timeout <= Self.shortest ? ", too late for this timeout: the service manager will stop the daemon" : "")
                + "; set WatchdogSec= to at least \((Self.shortest * 2).secondsValue) s"
        }
        return "\(asked) is longer than \((Self.longest * 2).secondsValue) s; the master pings every \(Self.longest.secondsValue) s"
    }
}
