#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 at a port the kernel picks: what ``ListeningSocket`` and
/// ``ReservedPort`` both make.
enum LoopbackSocket {
    /// Creates a close-on-exec TCP socket, binds it to 127.0.0.1:0 and reads the port chosen.
    ///
    /// - Parameters:
    ///   - reusePort: sets `SO_REUSEPORT` before binding.
    ///   - backlog: listens with this backlog; `nil`: bound only.
    /// - Returns: the descriptor, which the caller closes, and its port.
    /// - Throws: ``DriverError`` naming the failure; the descriptor is closed then.
    static func bind(reusePort: Bool = false, backlog: Int32?) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DriverError("socket: \(String(cString: strerror(errno)))") }
        if reusePort {
            var on: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, length) == 0 && backlog.map { listen(descriptor, $0) == 0 } != false
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            let error = errno
            Glibc.close(descriptor)
            throw DriverError("cannot \(backlog == nil ? "bind" : "listen on") 127.0.0.1: \(String(cString: strerror(error)))")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
