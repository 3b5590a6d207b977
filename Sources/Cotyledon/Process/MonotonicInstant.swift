import Glibc

/// A point on `CLOCK_MONOTONIC`, the clock of every deadline in the master and of the
/// `mono=` field of log lines (comparable across processes on one machine).
///
/// Its arithmetic saturates: a deadline too far away to represent is the farthest instant
/// there is, never an overflow trap, so a huge timeout from the environment or the API
/// cannot crash the master.
struct MonotonicInstant: Comparable, Hashable, Sendable {
    /// Nanoseconds since an unspecified boot-time origin.
    let nanoseconds: Int64

    /// The current instant.
    static var now: MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    /// Seconds since the clock's origin, for log fields.
    var seconds: Double { Double(nanoseconds) / 1e9 }

    static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// `lhs` moved by `rhs`, saturating at the ends of the clock.
    static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: lhs.nanoseconds.saturatingAdding(rhs.nanoseconds))
    }

    /// The time from `rhs` to `lhs`, saturating at `Int64` nanoseconds (about 292 years).
    static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        .nanoseconds(lhs.nanoseconds.saturatingSubtracting(rhs.nanoseconds))
    }

    /// An `epoll_wait`/`poll` timeout reaching this instant from `now`: whole milliseconds
    /// rounded up (a wake-up is never early), 0 once it is due, at most `Int32.max`.
    func pollTimeout(from now: MonotonicInstant) -> Int32 {
        let remaining = nanoseconds.saturatingSubtracting(now.nanoseconds)
        guard remaining > 0 else { return 0 }
        let milliseconds = remaining / 1_000_000 + (remaining % 1_000_000 == 0 ? 0 : 1)
        return Int32(clamping: milliseconds)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.min` and `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.saturatingAdding(attoseconds / 1_000_000_000)
    }

    /// The duration in seconds, for logs.
    package var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// `seconds` in whole nanoseconds (a computed delay or lifetime), saturating at `Int64`
    /// nanoseconds (about 292 years) either way; not-a-number gives zero.
    static func saturating(seconds: Double) -> Duration {
        let nanoseconds = seconds * 1e9
        guard !nanoseconds.isNaN else { return .zero }
        // 2^63 is the first Double beyond Int64.max.
        guard nanoseconds < 0x1p63 else { return .nanoseconds(Int64.max) }
        guard nanoseconds >= -0x1p63 else { return .nanoseconds(Int64.min) }
        return .nanoseconds(Int64(nanoseconds))
    }
}

extension Int64 {
    /// `self + other`, or the nearest bound on overflow.
    func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, or the nearest bound on overflow.
    func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}
