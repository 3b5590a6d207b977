/// Why a worker ended, as the master classifies it; only crashes and failures before
/// ready count toward restart backoff and the give-up checks.
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
    /// Stopped by a signal another process than the master sent it (the worker said so
    /// before exiting): respawned at once, not counted as a failure.
    case outsideSignal = "outside-signal"

    /// Whether the exit counts toward restart backoff and the give-up checks.
    var isFailure: Bool { self == .crash || self == .failedBeforeReady }
}
