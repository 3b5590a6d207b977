import Logging
import ServiceLifecycle

/// A swift-service-lifecycle service: ticks every second until its group shuts it down
/// gracefully.
///
/// It is a `ServiceLifecycle.Service`; the file imports only ServiceLifecycle, so the
/// name is not ambiguous here.
struct Ticker: Service {
    let workerID: Int
    let logger: Logger

    func run() async throws {
        var ticks = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            ticks += 1
            logger.debug("tick \(ticks)")
            // Returns early when the graceful shutdown begins.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
        logger.info("ticker of worker(\(workerID)) stopped gracefully after \(ticks) ticks",
                    metadata: ["event": "ticker-stopped"])
    }
}
