import Glibc

/// The soft `RLIMIT_NOFILE`: raised to the hard limit in the master (a big pool holds
/// two descriptors per worker) and restored in workers, which inherit the raise.
struct FileDescriptorLimit {
    /// The soft limit the process started with.
    let originalSoftLimit: rlim_t

    /// Raises the soft limit to the hard limit and remembers the original.
    static func raiseToHardLimit() -> FileDescriptorLimit {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let original = limit.rlim_cur
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return FileDescriptorLimit(originalSoftLimit: original)
    }

    /// Puts the soft limit back to the original (in a worker).
    func restore() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = originalSoftLimit
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
