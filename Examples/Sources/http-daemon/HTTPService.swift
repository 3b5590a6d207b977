import Cotyledon
import Glibc
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// One HTTP worker: its own event loop serving the shared port, drained on `terminate()`,
/// its settings re-read on `reload()`.
final class HTTPService: Service {
    /// Where a worker listens when systemd passed no socket.
    struct Endpoint: Sendable {
        let host: String
        let port: Int
    }

    override class var name: String { "http" }
    /// Ready once the worker listens, not when `run()` starts.
    override class var readiness: ReadinessMode { .explicit }
    /// A reload re-reads the settings in the running workers: no connection is dropped.
    override class var reloadsInPlace: Bool { true }

    private let endpoint: Endpoint
    private let settingsPath: String?
    private let settings = NIOLockedValueBox(HTTPSettings.defaults)
    private var server: HTTPServer?
    private let logger: Logger

    /// A worker that binds `endpoint` (unless systemd passed a socket) and reads `settingsPath`.
    init(workerID: Int, endpoint: Endpoint, settingsPath: String?) {
        self.endpoint = endpoint
        self.settingsPath = settingsPath
        var logger = Logger(label: "http")
        logger[metadataKey: "worker"] = "\(workerID)"
        self.logger = logger
        super.init(workerID: workerID)
    }

    override func run() async throws {
        let initial = try HTTPSettings.load(from: settingsPath)
        settings.withLockedValue { $0 = initial }
        let responder = HTTPResponder(workerID: workerID, settings: settings, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let socket: HTTPServer.Socket = listeners["http"].first.map { .inherited($0.descriptor) }
                ?? .reusePort(host: endpoint.host, port: endpoint.port)
            let server = try await HTTPServer.start(on: group, socket: socket, responder: responder, logger: logger)
            self.server = server
            markReady()
            logger.info("http worker(\(workerID)) [pid \(getpid())] serving \(server.address)",
                        metadata: ["event": "http-serving", "pid": "\(getpid())"])
            if stopToken.isStopRequested { await terminate() }
            await server.waitUntilDrained()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    /// Drains: stops accepting, lets in-flight requests finish and closes every connection.
    /// `run()` returns once the drain is over.
    override func terminate() async {
        guard let server else { return } // run() drains as soon as it has a server
        logger.info("http worker(\(workerID)) draining", metadata: ["event": "http-draining"])
        await server.drain()
    }

    /// Re-reads the settings; a bad file keeps the current ones.
    override func reload() async {
        do {
            let loaded = try HTTPSettings.load(from: settingsPath)
            settings.withLockedValue { $0 = loaded }
            logger.info("http worker(\(workerID)) reloaded its settings",
                        metadata: ["event": "settings-reloaded", "greeting": "\(loaded.greeting)"])
        } catch {
            logger.error("http worker(\(workerID)) keeps its settings: \(error)",
                         metadata: ["event": "settings-reload-failed"])
        }
    }
}
