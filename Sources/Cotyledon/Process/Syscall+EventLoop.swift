import CCotyledonLinux
import Glibc
import SystemPackage

extension Syscall {
    /// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`: a counter other threads write to wake a
    /// thread waiting in `epoll_wait`.
    static func eventFileDescriptor() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { ccotyledon_eventfd() })
    }

    /// Adds 1 to the counter of the eventfd `fd`, which makes it readable.
    static func signal(eventFileDescriptor fd: FileDescriptor) {
        var one: UInt64 = 1
        _ = try? retrying { Glibc.write(fd.rawValue, &one, MemoryLayout<UInt64>.size) }
    }

    /// Reads and resets the 8-byte counter of an eventfd or a timerfd (non-blocking): what
    /// made it readable is consumed.
    static func drainCounter(of fd: FileDescriptor) {
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { try? read(fd, into: $0) }
    }

    /// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`.
    static func timerFileDescriptor() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { ccotyledon_timerfd_create() })
    }

    /// Arms the timerfd `fd` to expire once at `deadline` (absolute, `CLOCK_MONOTONIC`; one
    /// already past expires at once), or disarms it for `nil`.
    static func setTimer(_ fd: FileDescriptor, to deadline: MonotonicInstant?) throws(Errno) {
        // 0 disarms: a deadline at or before the clock's origin is past, 1 ns is as good.
        let nanoseconds = deadline.map { max($0.nanoseconds, 1) } ?? 0
        try retrying { ccotyledon_timerfd_set(fd.rawValue, nanoseconds) }
    }

    /// Installs a worker's signal handlers (see `ccotyledon_worker_signals_install`): each of
    /// `signals` writes a record to `pipe`; SIGINT and SIGQUIT end the worker in the handler
    /// when its loop is not waiting, first writing `outsideMessage` (patched with the signal
    /// and the sender) to `messages` for a sender other than `masterPID`; a parent-death
    /// SIGTERM arms the group kill `orphanGrace` later.
    static func installWorkerSignalHandlers(
        pipe: FileDescriptor, messages: Int32, masterAlive: Int32, masterPID: pid_t, outsideMessage: [UInt8], signals: [Signal],
        fastStopBackstop: Duration, orphanGrace: Duration
    ) throws(Errno) {
        let numbers = signals.map(\.rawValue)
        // Not retried: it creates timers, and none of its calls fails with EINTR.
        _ = try retryingOnce {
            ccotyledon_worker_signals_install(
                pipe.rawValue, messages, masterAlive, masterPID, outsideMessage, Int32(outsideMessage.count), numbers, Int32(numbers.count),
                ccotyledon_worker_backstop_signal(), fastStopBackstop.nanoseconds, orphanGrace.nanoseconds)
        }
    }

    /// Arms the worker's backstop that SIGKILLs its whole process group `delay` from now,
    /// unless it is armed to fire sooner already.
    static func armWorkerGroupKill(after delay: Duration) throws(Errno) {
        try retrying { ccotyledon_worker_arm_group_kill(delay.nanoseconds) }
    }
}
