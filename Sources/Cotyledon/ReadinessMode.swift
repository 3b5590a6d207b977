/// When a worker counts as ready (the master reports readiness to systemd and, during
/// rolling operations, waits for it).
public enum ReadinessMode: Sendable, Equatable {
    /// Ready as soon as ``Service/run()`` starts.
    case whenRunStarts
    /// Ready when the service calls ``Service/markReady()`` (after binding a port, warming a cache…).
    case explicit
}
