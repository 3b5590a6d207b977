import Glibc
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// What a worker answers, for every connection it serves.
struct HTTPResponder: Sendable {
    /// One answer.
    struct Response: Sendable {
        let status: HTTPResponseStatus
        let body: String
        /// How long to wait before answering.
        let delay: TimeAmount?
    }

    /// How long `GET /slow` takes.
    static let slowDelay: TimeAmount = .seconds(2)

    let workerID: Int
    /// The worker's pid, in every answer.
    let pid = getpid()
    /// The current settings (replaced on reload).
    let settings: NIOLockedValueBox<HTTPSettings>
    let logger: Logger

    /// The answer to `request`.
    func response(to request: HTTPRequestHead) -> Response {
        guard request.method == .GET else {
            return Response(status: .methodNotAllowed, body: "only GET is served\n", delay: nil)
        }
        let greeting = settings.withLockedValue(\.greeting)
        let signature = "\(greeting) from http worker(\(workerID)) pid \(pid)"
        switch request.uri.split(separator: "?", maxSplits: 1).first ?? "" {
        case "/":
            return Response(status: .ok, body: signature + "\n", delay: nil)
        case "/slow":
            logger.info("http worker(\(workerID)) [pid \(pid)] answers a slow request in 2 s",
                        metadata: ["event": "slow-request", "pid": "\(pid)"])
            return Response(status: .ok, body: signature + ", 2 s later\n", delay: Self.slowDelay)
        case let path:
            return Response(status: .notFound, body: "nothing at \(path): try / or /slow\n", delay: nil)
        }
    }
}
