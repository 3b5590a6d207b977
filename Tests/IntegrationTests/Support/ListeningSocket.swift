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
        (descriptor, port) = try LoopbackSocket.bind(backlog: backlog)
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
