#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket listening on 127.0.0.1 at a port the kernel picks, made by the test process to
/// hand to a daemon the way systemd's socket activation does (``Driver/spawn(path:argv:environment:stdin:trigger:descriptors:)``).
///
/// The test process keeps its copy open until ``close()``: connections that no process
/// accepts wait in the queue, as they would under systemd.
final class ListeningSocket {
    /// The port.
    let port: Int
    /// The listening descriptor (close-on-exec in the test process).
    private(set) var descriptor: Int32

    /// Binds 127.0.0.1:0 and listens with `backlog`.
    init(backlog: Int32 = 1024) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DriverError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, backlog) == 0
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard listening else {
            let error = errno
            Glibc.close(descriptor)
            throw DriverError("cannot listen on 127.0.0.1: \(String(cString: strerror(error)))")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close()
    }

    /// Closes the test process's copy (idempotent).
    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
