import ServiceLifecycle

/// A swift-service-lifecycle service that reports when it starts and how it was stopped.
struct RecordingService: ServiceLifecycle.Service {
    /// What it reports.
    enum Event: Equatable, Sendable {
        case started
        case shutDownGracefully
        case cancelled
    }

    let events: AsyncStream<Event>.Continuation

    /// A service and the stream of its events.
    static func make() -> (service: RecordingService, events: AsyncStream<Event>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        return (RecordingService(events: continuation), stream)
    }

    func run() async throws {
        events.yield(.started)
        do {
            try await gracefulShutdown()
            events.yield(.shutDownGracefully)
        } catch {
            events.yield(.cancelled)
        }
    }
}
