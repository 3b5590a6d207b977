import CCotyledonLinux
import Glibc
import SystemPackage

extension Syscall {
    /// `epoll_create1(EPOLL_CLOEXEC)`.
    static func epollCreate() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { epoll_create1(Int32(EPOLL_CLOEXEC)) })
    }

    /// `epoll_ctl(epoll, operation, fd, event)`.
    static func epollControl(_ epoll: FileDescriptor, _ operation: Int32, _ fd: Int32,
                             _ event: inout epoll_event) throws(Errno) {
        try retrying { epoll_ctl(epoll.rawValue, operation, fd, &event) }
    }

    /// `epoll_wait` into `events`, up to `timeout` milliseconds (-1: forever); returns how
    /// many are ready, none when a signal interrupted the wait (its timeout must be recomputed).
    static func epollWait(_ epoll: FileDescriptor, into events: inout [epoll_event], timeout: Int32) throws(Errno) -> Int {
        let capacity = Int32(events.count)
        do {
            return Int(try events.withUnsafeMutableBufferPointer { buffer throws(Errno) in
                try retryingOnce { epoll_wait(epoll.rawValue, buffer.baseAddress, capacity, timeout) }
            })
        } catch .interrupted {
            return 0
        }
    }
}
