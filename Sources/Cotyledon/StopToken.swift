import Synchronization

/// A flag that turns true when the worker is asked to stop, readable from any thread.
///
/// Blocking loops that do not run on the main actor (see ``Service/runBlocking(_:)``)
/// poll it: `while !token.isStopRequested { … }`.
public final class StopToken: Sendable {
    private let requested = Atomic<Bool>(false)

    /// Creates a token that has not been triggered.
    public init() {}

    /// Whether a stop was requested.
    public var isStopRequested: Bool {
        requested.load(ordering: .acquiring)
    }

    /// Requests the stop; later calls do nothing.
    public func requestStop() {
        requested.store(true, ordering: .releasing)
    }
}
