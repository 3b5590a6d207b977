import CCotyledonLinux
import Glibc
import SystemPackage

/// An `epoll` instance: descriptors are registered once with a token and `wait` returns
/// only the ready ones, so a master with thousands of workers does O(ready) work per
/// wake-up instead of rebuilding and scanning a `poll` array.
struct EventPoll {
    /// A ready descriptor's token and its `EPOLL*` event bits.
    struct Event {
        let token: UInt64
        let events: UInt32
    }

    private let descriptor: FileDescriptor
    private var buffer = [epoll_event](repeating: epoll_event(), count: 256)

    /// Creates the instance (close-on-exec).
    init() throws(Errno) {
        descriptor = try Syscall.epollCreate()
    }

    /// Watches `fd` for input (and hang-up) under `token`.
    func add(_ fd: FileDescriptor, token: UInt64) throws(Errno) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = token
        try Syscall.epollControl(descriptor, EPOLL_CTL_ADD, fd.rawValue, &event)
    }

    /// Stops watching `fd`; one that is not watched is not an error.
    func remove(_ fd: FileDescriptor) {
        var event = epoll_event()
        try? Syscall.epollControl(descriptor, EPOLL_CTL_DEL, fd.rawValue, &event)
    }

    /// Changes what `fd` is watched for: input unless `readable` is false, output when
    /// `writable` (hang-up and errors always).
    func modify(_ fd: Int32, token: UInt64, readable: Bool = true, writable: Bool) {
        var event = epoll_event()
        event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
        event.data.u64 = token
        try? Syscall.epollControl(descriptor, EPOLL_CTL_MOD, fd, &event)
    }

    /// Watches `fd` for output only (`EPOLLOUT`; errors are always reported) under
    /// `token` when `watching`, else stops watching it.
    func watchOutput(of fd: FileDescriptor, token: UInt64, _ watching: Bool) throws(Errno) {
        var event = epoll_event()
        event.events = EPOLLOUT.rawValue
        event.data.u64 = token
        try Syscall.epollControl(descriptor, watching ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd.rawValue, &event)
    }

    /// Waits up to `timeout` milliseconds (-1: forever) for ready descriptors; an
    /// interrupted wait returns none.
    mutating func wait(timeout: Int32) throws(Errno) -> [Event] {
        let count = try Syscall.epollWait(descriptor, into: &buffer, timeout: timeout)
        return buffer.prefix(count).map { Event(token: $0.data.u64, events: $0.events) }
    }
}
