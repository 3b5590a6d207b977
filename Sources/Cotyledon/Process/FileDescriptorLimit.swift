import Glibc

/// The soft `RLIMIT_NOFILE`: raised to the hard limit in the master (a big pool holds
/// two descriptors per worker) and restored in workers, which inherit the raise.
struct FileDescriptorLimit {
    /// The soft limit the process started with.
    let originalSoftLimit: rlim_t

    /// Raises the soft limit to the hard limit and remembers the original.
    static func raiseToHardLimit() -> FileDescriptorLimit {
        let limits = Syscall.descriptorLimits()
        if limits.soft < limits.hard {
            Syscall.setDescriptorSoftLimit(limits.hard)
        }
        return FileDescriptorLimit(originalSoftLimit: limits.soft)
    }

    /// Puts the soft limit back to the original (in a worker).
    func restore() {
        Syscall.setDescriptorSoftLimit(originalSoftLimit)
    }
}
