import CCotyledonLinux
import Glibc
import SystemPackage

/// The raw system calls Cotyledon uses, wrapped once: `EINTR` is retried and
/// failures are thrown as typed ``SystemPackage/Errno`` values, so no other file
/// touches `errno`.
package enum Syscall {
    /// Calls `body` until it does not fail with `EINTR`; throws `errno` on `-1`.
    @discardableResult
    static func retrying<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno(rawValue: errno)
            if error != .interrupted { throw error }
        }
    }

    /// Runs `body`, a non-blocking call, returning `nil` instead of throwing when it would
    /// block (`EAGAIN`, which is `EWOULDBLOCK` on Linux): waiting is the caller's ordinary
    /// case, not a failure.
    static func unlessWouldBlock<T>(_ body: () throws(Errno) -> T) throws(Errno) -> T? {
        do {
            return try body()
        } catch .wouldBlock {
            return nil
        }
    }

    /// `fork()`; returns 0 in the child.
    static func fork() throws(Errno) -> pid_t {
        try retrying { ccotyledon_fork() }
    }

    /// `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)`: a child that exited, left a zombie so
    /// that its pid is not reused until ``reap(_:)``; `nil` when none has exited.
    static func exitedChild() throws(Errno) -> pid_t? {
        let pid = try retrying { ccotyledon_peek_exited_child() }
        return pid == 0 ? nil : pid
    }

    /// `waitpid(pid, WNOHANG)`: the raw status of the exited child `pid`, or `nil` if it has not exited.
    static func reap(_ pid: pid_t) throws(Errno) -> Int32? {
        var status: Int32 = 0
        let reaped = try retrying { waitpid(pid, &status, WNOHANG) }
        return reaped == 0 ? nil : status
    }

    /// `waitpid(pid, 0)`: waits for the child `pid` to exit and returns its raw status. Only
    /// for a child sent `SIGKILL`, whose exit is not long in coming.
    static func waitForExit(of pid: pid_t) throws(Errno) -> Int32 {
        var status: Int32 = 0
        _ = try retrying { waitpid(pid, &status, 0) }
        return status
    }

    /// `kill(pid, signal)`; a process that is already gone is not an error.
    static func send(_ signal: Signal, toProcess pid: pid_t) {
        _ = Glibc.kill(pid, signal.rawValue)
    }

    /// `sigtimedwait` with a zero timeout: takes one pending signal of `set` (blocked in the
    /// caller) without waiting; whether one was pending.
    static func takePendingSignal(in set: SignalSet) -> Bool {
        var timeout = timespec(tv_sec: 0, tv_nsec: 0)
        return withUnsafePointer(to: set.raw) { sigtimedwait($0, nil, &timeout) } > 0
    }

    /// `kill(-pgid, signal)`; a group that is already gone is not an error.
    static func send(_ signal: Signal, toGroup pgid: pid_t) {
        _ = Glibc.kill(-pgid, signal.rawValue)
    }

    /// `pipe2(O_CLOEXEC)`.
    static func pipe() throws(Errno) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        try retrying { ccotyledon_pipe_cloexec(&fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// Sets `O_NONBLOCK` on `fd`.
    static func setNonBlocking(_ fd: FileDescriptor) throws(Errno) {
        try retrying { ccotyledon_fcntl_set_nonblocking(fd.rawValue) }
    }

    /// `setpgid(pid, pgid)`; `EACCES` (the child already called `execve`) and
    /// `ESRCH` (it already exited) are not errors for a supervisor.
    static func setProcessGroup(of pid: pid_t, to pgid: pid_t) {
        _ = setpgid(pid, pgid)
    }

    /// Reads into `buffer`; returns 0 at end of file and `nil` when a non-blocking read would block.
    static func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int? {
        try unlessWouldBlock { () throws(Errno) in try retrying { Glibc.read(fd.rawValue, buffer.baseAddress, buffer.count) } }
    }

    /// Reads into `buffer` from its start; returns the byte count, 0 at end of file, and
    /// `nil` when a non-blocking read would block.
    package static func read(_ fd: FileDescriptor, into buffer: inout [UInt8]) throws(Errno) -> Int? {
        let result: Result<Int?, Errno> = buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(Errno) in try read(fd, into: bytes) }
        }
        return try result.get()
    }

    /// Writes all of `bytes`, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try retrying { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
        }
    }

    /// Closes `fd`, ignoring errors (Linux always releases the descriptor).
    package static func close(_ fd: FileDescriptor) {
        _ = Glibc.close(fd.rawValue)
    }

    /// `dup2(fd, target)`.
    static func duplicate(_ fd: Int32, to target: Int32) throws(Errno) {
        try retrying { dup2(fd, target) }
    }

    /// `fcntl(fd, F_DUPFD, minimum)`: a copy of `fd` numbered at least `minimum`.
    static func duplicate(_ fd: Int32, atLeast minimum: Int32) throws(Errno) -> Int32 {
        try retrying { ccotyledon_fcntl_dupfd(fd, minimum) }
    }

    /// Whether `fd` is an open descriptor (`fcntl(fd, F_GETFD)` succeeds).
    static func isOpen(_ fd: Int32) -> Bool {
        (try? retrying { fcntl(fd, F_GETFD) }) != nil
    }

    /// `fstat(fd)`.
    package static func status(of fd: Int32) throws(Errno) -> stat {
        var status = stat()
        try retrying { fstat(fd, &status) }
        return status
    }

    /// Closes every descriptor from `first` up.
    static func closeAll(from first: Int32) throws(Errno) {
        try retrying { ccotyledon_close_range(UInt32(first), UInt32.max) }
    }

    /// `mmap` of `size` bytes of zeroed memory shared with the children forked afterwards
    /// (`MAP_SHARED | MAP_ANONYMOUS`, read and write).
    static func mapSharedAnonymous(size: Int) throws(Errno) -> UnsafeMutableRawPointer {
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), memory != MAP_FAILED else {
            throw Errno(rawValue: errno)
        }
        return memory
    }

    /// `open(path, flags)`.
    package static func open(_ path: String, _ flags: Int32) throws(Errno) -> Int32 {
        try retrying { Glibc.open(path, flags) }
    }

    /// `poll` on `descriptors`; `timeout` in milliseconds, -1 for none.
    static func poll(_ descriptors: inout [pollfd], timeout: Int32) throws(Errno) -> Int32 {
        let count = nfds_t(descriptors.count)
        do {
            return try descriptors.withUnsafeMutableBufferPointer { buffer throws(Errno) in
                try retryingOnce { Glibc.poll(buffer.baseAddress, count, timeout) }
            }
        } catch .interrupted {
            return 0
        }
    }

    /// Like ``retrying(_:)`` but returns `EINTR` to the caller, for calls whose timeout must be recomputed.
    static func retryingOnce<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
        let result = body()
        if result == -1 { throw Errno(rawValue: errno) }
        return result
    }
}
