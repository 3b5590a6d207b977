import NIOCore
import Synchronization

/// The connections one worker serves, so that a drain can ask each one to finish
/// (``DrainConnectionEvent``) and wait until all are closed, for a bounded time.
final class ConnectionRegistry: Sendable {
    /// How a drain ended.
    struct Outcome: Sendable {
        /// The connections open when the drain began, and those accepted during it.
        var connections = 0
        /// The connections still open at the deadline, closed then whatever they were doing.
        var forced = 0
    }

    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        /// The event a connection gets as soon as it is tracked, once a drain has begun.
        var drain: DrainConnectionEvent?
        var outcome = Outcome()
    }

    private let state = Mutex(State())
    private let drained = Latch()

    /// Follows `channel` until it closes; call it once its pipeline is complete. A connection
    /// that arrives during a drain is asked to finish at once: its first request, if it comes
    /// within the idle grace, is answered.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let drain = state.withLock { state in
            state.open[id] = channel
            if state.drain != nil { state.outcome.connections += 1 }
            return state.drain
        }
        channel.closeFuture.whenComplete { _ in self.forget(id) }
        // Fired from the event loop's next turn, after the channel initializer that called
        // this has returned.
        if let drain { channel.eventLoop.execute { channel.pipeline.fireUserInboundEventTriggered(drain) } }
    }

    /// Asks every connection to finish (see ``DrainConnectionEvent``) and returns once all
    /// are closed, or at `deadline`, when it closes those still open. Call it once; others
    /// wait with ``waitUntilDrained()``.
    func drain(idleGrace: TimeAmount, deadline: ContinuousClock.Instant) async -> Outcome {
        let event = DrainConnectionEvent(idleGrace: idleGrace)
        let channels: [any Channel] = state.withLock { state in
            guard state.drain == nil else { return [] }
            state.drain = event
            state.outcome.connections = state.open.count
            return Array(state.open.values)
        }
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(event) }
        openIfDrained()
        let deadlineClose = Task { [self] in
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return // the drain finished first
            }
            closeEveryConnection()
        }
        await drained.wait()
        deadlineClose.cancel()
        return state.withLock(\.outcome)
    }

    /// Returns once a drain has closed every connection.
    func waitUntilDrained() async {
        await drained.wait()
    }

    private func closeEveryConnection() {
        let channels = state.withLock { state in
            state.outcome.forced = state.open.count
            return Array(state.open.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    private func forget(_ id: ObjectIdentifier) {
        state.withLock { _ = $0.open.removeValue(forKey: id) }
        openIfDrained()
    }

    private func openIfDrained() {
        if state.withLock({ $0.drain != nil && $0.open.isEmpty }) { drained.open() }
    }
}
