import Glibc

/// A worker the master's previous image handed over whose service this build does not
/// run: stopped at the takeover, and only waited for, so that its exit is reaped with a
/// clear log line and its heartbeat slot freed.
struct VanishedWorker {
    /// `web worker(2) [pid 1234]`.
    let label: String
    /// The service's name.
    let service: String
    /// Its worker id.
    let workerID: Int
    /// Its slot on the heartbeat board, if it had one.
    let heartbeatSlot: Int?
}
