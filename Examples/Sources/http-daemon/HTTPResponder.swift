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

    /// How long `GET /slow` takes without `?ms=`, in milliseconds.
    static let defaultSlowMilliseconds = 2_000
    /// The longest `GET /slow?ms=N` may ask for, in milliseconds.
    static let maximumSlowMilliseconds = 60_000

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
        let parts = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? parts[1] : nil
        switch parts.first ?? "" {
        case "/":
            return Response(status: .ok, body: signature + "\n", delay: nil)
        case "/slow":
            guard let milliseconds = Self.slowMilliseconds(query: query) else {
                return Response(status: .badRequest,
                                body: "/slow takes ?ms=N with N in 0...\(Self.maximumSlowMilliseconds), e.g. /slow?ms=500\n",
                                delay: nil)
            }
            logger.info("http worker(\(workerID)) [pid \(pid)] answers a slow request in \(milliseconds) ms",
                        metadata: ["event": "slow-request", "pid": "\(pid)", "ms": "\(milliseconds)"])
            return Response(status: .ok, body: signature + ", \(milliseconds) ms later\n",
                            delay: .milliseconds(Int64(milliseconds)))
        case let path:
            return Response(status: .notFound, body: "nothing at \(path): try / or /slow\n", delay: nil)
        }
    }

    /// The delay `/slow` was asked for: ``defaultSlowMilliseconds`` without `ms=`, `nil` when
    /// `ms` is not a number of milliseconds in 0...``maximumSlowMilliseconds``.
    private static func slowMilliseconds(query: Substring?) -> Int? {
        guard let query else { return defaultSlowMilliseconds }
        var milliseconds = defaultSlowMilliseconds
        for parameter in query.split(separator: "&") {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.first == "ms" else { continue }
            guard pair.count == 2, let value = Int(pair[1]), (0...maximumSlowMilliseconds).contains(value) else {
                return nil
            }
            milliseconds = value
        }
        return milliseconds
    }
}
