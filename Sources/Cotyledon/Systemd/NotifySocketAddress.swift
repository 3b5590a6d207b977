import Glibc
import SystemPackage

/// Where `NOTIFY_SOCKET` says the service manager listens, as `sd_notify(3)` reads it: a
/// path (`/run/systemd/notify`) or, with a leading `@`, a name in the abstract namespace.
struct NotifySocketAddress: Equatable {
    /// The bytes of `sun_path`: the path, or a NUL then the abstract name.
    let pathBytes: [UInt8]
    /// `NOTIFY_SOCKET` as it was set, for messages.
    let text: String

    /// Parses `NOTIFY_SOCKET`.
    /// - Throws: ``NotifySocketAddressError`` for anything but a path or an abstract name that fits in `sun_path`.
    init(_ text: String) throws(NotifySocketAddressError) {
        self.text = text
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        switch text.utf8.first {
        case UInt8(ascii: "/"):
            // A path is NUL-terminated inside sun_path.
            guard text.utf8.count < capacity else { throw .tooLong(text, limit: capacity - 1) }
            pathBytes = Array(text.utf8)
        case UInt8(ascii: "@"):
            // An abstract name is as long as the address says, with no terminating NUL.
            guard text.utf8.count > 1 else { throw .unsupported(text) }
            guard text.utf8.count <= capacity else { throw .tooLong(text, limit: capacity - 1) }
            pathBytes = [0] + text.utf8.dropFirst()
        default:
            throw .unsupported(text)
        }
    }

    /// Calls `body` with the `sockaddr_un` and its length, as `connect` takes them.
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Result) throws(Errno) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: pathBytes)
        }
        let isAbstract = pathBytes.first == 0
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (isAbstract ? 0 : 1))
        return try withUnsafePointer(to: &address) { pointer throws(Errno) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(Errno) in
                try body(address, length)
            }
        }
    }
}

/// Why `NOTIFY_SOCKET` cannot be used.
enum NotifySocketAddressError: Error, Equatable, CustomStringConvertible {
    /// Neither a path nor an abstract name (`vsock:` addresses are not supported).
    case unsupported(String)
    /// Longer than a unix socket address holds.
    case tooLong(String, limit: Int)

    var description: String {
        switch self {
        case .unsupported(let text):
            "NOTIFY_SOCKET=\(text) is neither an absolute path nor an abstract socket name (@name): set it to the unix datagram socket of the service manager, or unset it"
        case .tooLong(let text, let limit):
            "NOTIFY_SOCKET=\(text) is longer than the \(limit) bytes of a unix socket address: use a shorter path"
        }
    }
}
