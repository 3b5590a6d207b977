#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1 for daemons whose workers each bind it with `SO_REUSEPORT`.
///
/// The port stays reserved while this holds a socket bound to it (with `SO_REUSEPORT` too, and
/// never listening, so it takes no connection): another program cannot take it in between, and
/// the workers, of the same user, can still bind it.
final class ReservedPort {
    /// The port number.
    let number: Int
    private var descriptor: Int32

    /// Binds 127.0.0.1:0 and keeps the port the kernel chose.
    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DriverError("socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            let error = errno
            Glibc.close(descriptor)
            throw DriverError("cannot reserve a port on 127.0.0.1: \(String(cString: strerror(error)))")
        }
        self.descriptor = descriptor
        number = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        release()
    }

    /// Gives the port up (idempotent).
    func release() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
