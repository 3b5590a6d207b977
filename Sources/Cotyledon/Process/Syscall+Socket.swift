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

// MARK: - Listeners

extension Syscall {
    /// Whether `text` is an IPv4 literal (`inet_pton(AF_INET)`).
    static func isIPv4Literal(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    /// Whether `text` is an IPv6 literal (`inet_pton(AF_INET6)`).
    static func isIPv6Literal(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    /// `socket(AF_INET or AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)`.
    static func tcpStreamSocket(ipv6: Bool) throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        return FileDescriptor(rawValue: try retrying { socket(ipv6 ? AF_INET6 : AF_INET, type, 0) })
    }

    /// `setsockopt(fd, level, option, 1)`: turns a boolean socket option on.
    static func enableSocketOption(_ fd: FileDescriptor, level: Int32, option: Int32) throws(Errno) {
        var on: Int32 = 1
        try retrying { setsockopt(fd.rawValue, level, option, &on, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// `bind(fd, host:port)` for an IP literal `host` (checked by the caller).
    static func bind(_ fd: FileDescriptor, host: String, port: Int, ipv6: Bool) throws(Errno) {
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port)).bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw .invalidArgument }
            try bind(fd, to: address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port)).bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw .invalidArgument }
            try bind(fd, to: address)
        }
    }

    private static func bind<Address>(_ fd: FileDescriptor, to address: Address) throws(Errno) {
        try retrying {
            withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd.rawValue, $0, socklen_t(MemoryLayout<Address>.size))
                }
            }
        }
    }

    /// The port a TCP socket is bound to (`getsockname`), e.g. the one the kernel picked for port 0.
    static func boundPort(of fd: FileDescriptor) throws(Errno) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try retrying {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
            }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// The canonical text of the IP literal `text` (`inet_pton` then `inet_ntop`: `::1` for
    /// `0:0::1`), or `nil` when it is not one.
    static func canonicalIPLiteral(_ text: String) -> String? {
        var address = in_addr()
        if inet_pton(AF_INET, text, &address) == 1 {
            return addressText(family: AF_INET, &address)
        }
        var address6 = in6_addr()
        guard inet_pton(AF_INET6, text, &address6) == 1 else { return nil }
        return addressText(family: AF_INET6, &address6)
    }

    private static func addressText<Address>(family: Int32, _ address: inout Address) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(family, &address, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `fd` is a stream socket that listens (`SO_TYPE` is `SOCK_STREAM`, `SO_ACCEPTCONN` is on).
    static func isListeningStreamSocket(_ fd: FileDescriptor) -> Bool {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return (try? retrying { getsockopt(fd.rawValue, SOL_SOCKET, name, &value, &length) }) == nil ? nil : value
        }
        return option(SO_TYPE) == Int32(SOCK_STREAM.rawValue) && option(SO_ACCEPTCONN) == 1
    }

    /// The address `fd` is bound to (`getsockname`).
    static func boundAddress(of fd: FileDescriptor) throws(Errno) -> BoundSocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try retrying {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
            }
        }
        let family = Int32(storage.ss_family)
        return withUnsafeMutablePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    .tcp(host: addressText(family: AF_INET, &$0.pointee.sin_addr), port: Int(UInt16(bigEndian: $0.pointee.sin_port)))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    .tcp(host: addressText(family: AF_INET6, &$0.pointee.sin6_addr), port: Int(UInt16(bigEndian: $0.pointee.sin6_port)))
                }
            case AF_UNIX:
                let pathLength = max(0, Int(length) - MemoryLayout<sa_family_t>.size)
                return pointer.withMemoryRebound(to: sockaddr_un.self, capacity: 1) {
                    withUnsafeBytes(of: &$0.pointee.sun_path) { raw in
                        let bytes = Array(raw.prefix(min(pathLength, raw.count)))
                        // An abstract address starts with a NUL; a path ends at its first NUL.
                        if bytes.first == 0 { return .other("abstract unix address") }
                        return .unix(path: String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
                    }
                }
            default:
                return .other("address family \(family)")
            }
        }
    }

    /// `rename(from, to)`: replaces `to` atomically.
    static func rename(_ from: String, to: String) throws(Errno) {
        try retrying { Glibc.rename(from, to) }
    }
}
