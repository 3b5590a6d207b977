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
        (descriptor, number) = try LoopbackSocket.bind(reusePort: true, backlog: nil)
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
