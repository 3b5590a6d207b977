import Glibc

/// Resource limits.
extension Syscall {
    /// `getrlimit(RLIMIT_NOFILE)`: the soft and hard limits.
    static func descriptorLimits() -> (soft: rlim_t, hard: rlim_t) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return (limit.rlim_cur, limit.rlim_max)
    }

    /// Sets the soft `RLIMIT_NOFILE` to `soft`, keeping the hard limit.
    static func setDescriptorSoftLimit(_ soft: rlim_t) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = soft
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
