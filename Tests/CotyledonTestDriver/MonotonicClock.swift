import Glibc

/// Reads `CLOCK_MONOTONIC`, the clock the daemons print as `mono=`.
enum MonotonicClock {
    /// Seconds since an arbitrary boot-time origin, with nanosecond resolution.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
