import Cotyledon
import Glibc
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// One HTTP worker: its own event loop serving the shared port, drained on `terminate()`,
/// the master's new settings handed to the event loop on `reload()`.
final class HTTPService: SettingsService<HTTPSettings> {
    /// Where a worker binds its own `SO_REUSEPORT` socket when it has no `http` listener (`--reuse-port`).
    struct Endpoint: Sendable {
        let host: String
        let port: Int
    }

    override class var name: String { "http" }
    /// Ready once the worker listens, not when `run()` starts.
    override class var readiness: ReadinessMode { .explicit }
    /// A reload hands the new settings to the running workers: no connection is dropped.
    override class var reloadsInPlace: Bool { true }

    private let endpoint: Endpoint
    /// ``SettingsService/settings`` as the event loop reads it, once `run()` has started.
    private var published: NIOLockedValueBox<HTTPSettings>?
    private var server: HTTPServer?
    /// A drain has begun: a second `terminate()` (the worker's, and `run()`'s when the stop came
    /// while it was starting) waits for it without logging it again.
    private var isDraining = false
    private let logger: Logger

    /// A worker that serves its `http` listener (the master's, or the socket systemd passed), else binds `endpoint` itself, with the settings
    /// the worker was forked with.
    init(workerID: Int, endpoint: Endpoint) {
        self.endpoint = endpoint
        var logger = Logger(label: "http")
        logger[metadataKey: "worker"] = "\(workerID)"
        self.logger = logger
        super.init(workerID: workerID)
    }

    override func run() async throws {
        let published = NIOLockedValueBox(settings)
        self.published = published
        let responder = HTTPResponder(workerID: workerID, settings: published, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let socket: HTTPServer.Socket = listeners["http"].first.map { .inherited($0.descriptor) }
                ?? .reusePort(host: endpoint.host, port: endpoint.port)
            let server = try await HTTPServer.start(on: group, socket: socket, responder: responder, logger: logger)
            self.server = server
            markReady()
            logger.info("http worker(\(workerID)) [pid \(getpid())] serving \(server.address)",
                        metadata: ["event": "http-serving", "pid": "\(getpid())", "listener": "\(socket.kind)"])
            if stopToken.isStopRequested { await terminate() }
            await server.waitUntilDrained()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    /// Drains: stops accepting, answers the requests in flight and those already on their way
    /// (``DrainConnectionEvent``), each with `Connection: close`, and closes every connection.
    /// The drain ends a moment before the worker's ``Service/stopDeadline`` (``drainMargin``):
    /// what is still open then is closed. `run()` returns once the drain is over.
    override func terminate() async {
        guard let server else { return } // run() drains as soon as it has a server
        guard !isDraining else { return await server.waitUntilDrained() }
        isDraining = true
        let deadline = (stopDeadline ?? .now) - Self.drainMargin
        logger.info("http worker(\(workerID)) draining", metadata: ["event": "http-draining"])
        let outcome = await server.drain(idleGrace: DrainConnectionEvent.defaultIdleGrace,
                                         deadline: deadline)
        let metadata: Logger.Metadata = ["connections": "\(outcome.connections)", "forced": "\(outcome.forced)"]
        if outcome.forced > 0 {
            logger.warning("http worker(\(workerID)) closed \(outcome.forced) connections still busy near the graceful shutdown timeout",
                           metadata: metadata.merging(["event": "http-drain-timeout"]) { $1 })
        }
        logger.info("http worker(\(workerID)) drained \(outcome.connections) connections",
                    metadata: metadata.merging(["event": "http-drained"]) { $1 })
    }

    /// How long before the stop deadline the drain closes what is left: time for the closes
    /// to complete and `run()` to return, so that the worker exits by itself.
    static let drainMargin: Duration = .milliseconds(500)

    /// Hands the reload's settings, already in ``SettingsService/settings``, to the event
    /// loop. The master validated them; a bad file never gets this far.
    override func reload() async {
        let settings = settings
        published?.withLockedValue { $0 = settings }
        logger.info("http worker(\(workerID)) took the reloaded settings",
                    metadata: ["event": "settings-reloaded", "greeting": "\(settings.greeting)"])
    }
}
