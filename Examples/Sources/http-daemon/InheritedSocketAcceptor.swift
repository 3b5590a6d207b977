import Dispatch
import Glibc
import Logging
import NIOCore
import NIOPosix

/// Accepts the connections of a listening socket the worker inherited (from systemd, or opened
/// by the master before forking), and hands each one to SwiftNIO as an already connected socket.
///
/// Every worker shares that socket, so a new connection wakes all of them and all but one find
/// the queue empty. SwiftNIO's own server channel treats an accept that finds nothing as a bug
/// and asserts in debug builds; this acceptor takes what there is with a non-blocking
/// `accept` and lets the others come back empty-handed.
///
/// `@unchecked Sendable`: its state never changes after `init`, and the dispatch source is
/// only cancelled, which Dispatch allows from any thread.
final class InheritedSocketAcceptor: @unchecked Sendable {
    private let source: any DispatchSourceRead
    private let stopped = Latch()

    /// Starts accepting on `descriptor` (which stays open: the master and the other workers
    /// share it).
    /// - Throws: ``HTTPServerError/unusableInheritedSocket(descriptor:errno:)`` when the socket
    ///   cannot be made non-blocking.
    init(descriptor: Int32, bootstrap: ClientBootstrap, logger: Logger) throws(HTTPServerError) {
        // O_NONBLOCK belongs to the socket shared by every worker: they all set it alike.
        guard fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            throw .unusableInheritedSocket(descriptor: descriptor, errno: errno)
        }
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "http-accept"))
        source.setEventHandler {
            while case let client = accept(descriptor, nil, nil), client >= 0 {
                do {
                    _ = try bootstrap.withConnectedSocket(client).wait()
                } catch {
                    logger.warning("cannot serve an accepted connection: \(error)", metadata: ["event": "http-accept-failed"])
                }
            }
        }
        source.setCancelHandler { [stopped] in stopped.open() }
        source.resume()
    }

    /// Stops accepting; returns once no connection is being handed over any more.
    func stop() async {
        source.cancel()
        await stopped.wait()
    }
}
