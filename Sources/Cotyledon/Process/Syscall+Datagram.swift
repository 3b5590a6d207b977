import Glibc
import SystemPackage

extension Syscall {
    /// `socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC)`: a datagram socket
    /// whose sends never wait and that no `exec`ed program inherits.
    static func unixDatagramSocket() throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        return FileDescriptor(rawValue: try retrying { socket(AF_UNIX, type, 0) })
    }

    /// `connect(fd, address, length)`; for a unix datagram socket it only sets the peer
    /// (it never waits), and may be called again to set another.
    static func connect(_ fd: FileDescriptor, to address: UnsafePointer<sockaddr>, length: socklen_t) throws(Errno) {
        try retrying { Glibc.connect(fd.rawValue, address, length) }
    }

    /// Sends `bytes` as one datagram to the connected peer (`MSG_DONTWAIT | MSG_NOSIGNAL`).
    /// - Returns: `false` when it would block (the peer's queue or the send buffer is full).
    static func sendDatagram(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Bool {
        try send(fd, bytes) != nil
    }
}
