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

    /// Sends `bytes` as one datagram to the connected peer (`MSG_DONTWAIT | MSG_NOSIGNAL`),
    /// with `descriptors` attached (`SCM_RIGHTS`: the peer gets copies of them; the caller
    /// keeps its own).
    /// - Returns: `false` when it would block (the peer's queue or the send buffer is full).
    static func sendDatagram(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, passing descriptors: [FileDescriptor] = []) throws(Errno) -> Bool {
        guard !descriptors.isEmpty else { return try send(fd, bytes) != nil }
        // struct cmsghdr (length, level, type) then the descriptors, padded to CMSG_SPACE.
        let headerSize = MemoryLayout<cmsghdr>.size
        let dataSize = descriptors.count * MemoryLayout<Int32>.size
        let alignment = MemoryLayout<Int>.size
        var control = [UInt8](repeating: 0, count: headerSize + (dataSize + alignment - 1) / alignment * alignment)
        control.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: headerSize + dataSize, toByteOffset: 0, as: Int.self)
            raw.storeBytes(of: Int32(SOL_SOCKET), toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
            raw.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
            for (index, descriptor) in descriptors.enumerated() {
                raw.storeBytes(of: descriptor.rawValue, toByteOffset: headerSize + index * 4, as: Int32.self)
            }
        }
        let sent = try unlessWouldBlock { () throws(Errno) in
            try retrying {
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        return sendmsg(fd.rawValue, &message, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                    }
                }
            }
        }
        return sent != nil
    }

    /// `fcntl(fd, F_DUPFD_CLOEXEC, 3)`: a close-on-exec copy of `fd`, never numbered 0–2.
    static func duplicateCloseOnExec(_ fd: FileDescriptor) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { fcntl(fd.rawValue, F_DUPFD_CLOEXEC, Int32(3)) })
    }
}
