import CCotyledonLinux
import Glibc
import SystemPackage

extension Syscall {
    /// `socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)`: a stream socket whose
    /// calls never wait and that no `exec`ed program inherits.
    static func unixStreamSocket() throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        return FileDescriptor(rawValue: try retrying { socket(AF_UNIX, type, 0) })
    }

    /// `bind(fd, address)` to a unix socket address.
    static func bind(_ fd: FileDescriptor, to address: sockaddr_un) throws(Errno) {
        try retrying {
            withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd.rawValue, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    /// `connect(fd, address)` to a unix socket address; on a non-blocking stream socket a
    /// connection the listener has not taken yet fails with `EAGAIN` or `EINPROGRESS`.
    static func connect(_ fd: FileDescriptor, to address: sockaddr_un) throws(Errno) {
        try withUnsafePointer(to: address) { pointer throws(Errno) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(Errno) in
                try connect(fd, to: address, length: socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// `listen(fd, backlog)`.
    static func listen(_ fd: FileDescriptor, backlog: Int32) throws(Errno) {
        try retrying { Glibc.listen(fd.rawValue, backlog) }
    }

    /// `accept4(listener, flags)`: the next waiting connection, or `nil` when none waits.
    static func accept(_ listener: FileDescriptor, flags: Int32) throws(Errno) -> FileDescriptor? {
        try unlessWouldBlock { () throws(Errno) in
            FileDescriptor(rawValue: try retrying { ccotyledon_accept(listener.rawValue, flags) })
        }
    }

    /// The user id of the process at the other end of the unix socket `fd` (`SO_PEERCRED`).
    static func peerUserID(of fd: FileDescriptor) throws(Errno) -> uid_t {
        var uid: uid_t = 0
        try retrying { ccotyledon_peer_uid(fd.rawValue, &uid) }
        return uid
    }

    /// Sends what of `bytes` the socket takes now (`MSG_DONTWAIT | MSG_NOSIGNAL`: a gone
    /// peer is an error, not a `SIGPIPE`); returns the byte count, or `nil` when it would block.
    static func send(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int? {
        try unlessWouldBlock { () throws(Errno) in
            try retrying { Glibc.send(fd.rawValue, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        }
    }

    /// Receives what the socket holds into `buffer` from its start, without waiting
    /// (`MSG_DONTWAIT`); returns the byte count, 0 at end of input, `nil` when it would block.
    static func receive(_ fd: FileDescriptor, into buffer: inout [UInt8]) throws(Errno) -> Int? {
        let result: Result<Int?, Errno> = buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(Errno) in
                try unlessWouldBlock { () throws(Errno) in
                    try retrying { recv(fd.rawValue, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT)) }
                }
            }
        }
        return try result.get()
    }
}
