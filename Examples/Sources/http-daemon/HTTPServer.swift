import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One worker's HTTP server: where it accepts connections and the connections it serves.
final class HTTPServer: Sendable {
    /// Where the connections come from.
    enum Socket: Sendable {
        /// A listening socket systemd passed, shared with the other workers.
        case inherited(Int32)
        /// A socket of this worker's own, bound with `SO_REUSEPORT` like every other worker's,
        /// so the kernel spreads the connections across them.
        case reusePort(host: String, port: Int)
    }

    /// Where it listens, for the logs.
    let address: String
    private let stopAccepting: @Sendable () async -> Void
    private let connections: ConnectionRegistry
    private let drainTask = Mutex<Task<ConnectionRegistry.Outcome, Never>?>(nil)

    private init(address: String, stopAccepting: @escaping @Sendable () async -> Void, connections: ConnectionRegistry) {
        self.address = address
        self.stopAccepting = stopAccepting
        self.connections = connections
    }

    /// Starts listening on `socket`, serving every connection with `responder` on `group`.
    /// - Throws: ``HTTPServerError`` when the socket cannot be used.
    static func start(
        on group: any EventLoopGroup, socket: Socket, responder: HTTPResponder, logger: Logger
    ) async throws(HTTPServerError) -> HTTPServer {
        let connections = ConnectionRegistry()
        let initialize: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(HTTPHandler(responder: responder))
                connections.track(channel)
            }
        }
        switch socket {
        case let .reusePort(host, port):
            let listener: any Channel
            do {
                listener = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                    .childChannelInitializer(initialize)
                    .bind(host: host, port: port)
                    .get()
            } catch {
                throw .cannotListen(host: host, port: port, underlying: error)
            }
            return HTTPServer(address: "\(host):\(port)", stopAccepting: { try? await listener.close() },
                              connections: connections)
        case let .inherited(descriptor):
            let acceptor = try InheritedSocketAcceptor(
                descriptor: descriptor, bootstrap: ClientBootstrap(group: group).channelInitializer(initialize),
                logger: logger)
            return HTTPServer(address: "the socket systemd passed (descriptor \(descriptor))",
                              stopAccepting: { await acceptor.stop() }, connections: connections)
        }
    }

    /// Stops accepting, then finishes every connection (see ``DrainConnectionEvent``): a
    /// request in flight, or one that arrives within `idleGrace` on a connection with none
    /// yet, is answered with `Connection: close`; a connection still idle after that closes.
    /// Connections still open at `deadline` are closed whatever they are doing. Returns when
    /// every connection is closed. Calling it again waits for the same drain.
    func drain(idleGrace: TimeAmount, deadline: ContinuousClock.Instant) async -> ConnectionRegistry.Outcome {
        let task = drainTask.withLock { task in
            if let task { return task }
            let started = Task { [stopAccepting, connections] in
                await stopAccepting()
                return await connections.drain(idleGrace: idleGrace, deadline: deadline)
            }
            task = started
            return started
        }
        return await task.value
    }

    /// Returns once a drain is over.
    func waitUntilDrained() async {
        await connections.waitUntilDrained()
    }
}
