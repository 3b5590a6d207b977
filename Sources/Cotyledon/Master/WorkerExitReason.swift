/// Why a worker ended, as the master classifies it; only unrequested exits count
/// toward restart backoff.
enum WorkerExitReason: String {
    /// An unrequested exit after the worker reported ready.
    case crash
    /// An unrequested exit before the worker reported ready.
    case failedBeforeReady = "failed-before-ready"
    /// Stopped by the master's shutdown.
    case stopped
    /// Finished to be respawned with new configuration (the default `reload()`).
    case reload
    /// Stopped because its service was scaled down.
    case scaledDown = "scaled-down"

    /// Whether the exit counts toward restart backoff.
    var isFailure: Bool { self == .crash || self == .failedBeforeReady }
}
