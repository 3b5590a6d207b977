import NIOCore
import Synchronization

/// The connections one worker serves, so that a drain can ask each one to finish and wait
/// until all are closed.
final class ConnectionRegistry: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var isDraining = false
    }

    private let state = Mutex(State())
    private let drained = Latch()

    /// Follows `channel` until it closes. A connection that arrives during a drain is asked to
    /// finish at once.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let isDraining = state.withLock { state in
            state.open[id] = channel
            return state.isDraining
        }
        channel.closeFuture.whenComplete { _ in self.forget(id) }
        if isDraining { Self.quiesce(channel) }
    }

    /// Asks every connection to finish: an idle one closes now, one with a request in flight
    /// closes once its response is sent. Returns when all are closed.
    func drain() async {
        let channels: [any Channel] = state.withLock { state in
            guard !state.isDraining else { return [] }
            state.isDraining = true
            return Array(state.open.values)
        }
        for channel in channels { Self.quiesce(channel) }
        openIfDrained()
        await drained.wait()
    }

    /// Returns once a drain has closed every connection.
    func waitUntilDrained() async {
        await drained.wait()
    }

    private func forget(_ id: ObjectIdentifier) {
        state.withLock { _ = $0.open.removeValue(forKey: id) }
        openIfDrained()
    }

    private func openIfDrained() {
        if state.withLock({ $0.isDraining && $0.open.isEmpty }) { drained.open() }
    }

    /// NIO's HTTP server pipeline handles this event: it closes an idle connection and closes a
    /// busy one after its current response.
    private static func quiesce(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
