import NIOCore

/// The user event that asks one connection to finish, handled by ``HTTPHandler``: a request
/// in flight is answered with `Connection: close`, then the connection closes; a connection
/// with no request read yet waits up to ``idleGrace`` for one, answers it the same way, then
/// closes; one still idle after that closes.
///
/// Not SwiftNIO's `ChannelShouldQuiesceEvent`: `HTTPServerPipelineHandler` handles that one
/// itself and closes an idle connection at once, which drops a connection accepted a moment
/// ago whose first request is still on the wire, and a keep-alive one whose next request is.
struct DrainConnectionEvent: Sendable {
    /// How long a draining connection with no request read yet waits for one: long enough for
    /// a request already sent to arrive (a client that was just accepted, or that sent its next
    /// keep-alive request as the drain began), short enough that idle keep-alive connections
    /// do not hold a stopping worker.
    static let defaultIdleGrace: TimeAmount = .seconds(1)

    /// How long a connection with no request read yet waits for one before it closes.
    let idleGrace: TimeAmount
}
