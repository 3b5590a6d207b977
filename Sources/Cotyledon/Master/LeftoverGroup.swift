import Glibc
import Logging

/// The process group of a worker that exited while processes it started were still in
/// it: they got `SIGTERM` when the master saw the exit, and get `SIGKILL` at the master's
/// kill deadline for the group, the service's graceful shutdown timeout later.
struct LeftoverGroup {
    /// The group's id: the dead worker's pid.
    let id: pid_t
    /// `printer worker(2) [pid 1234]`, the dead worker, for the log.
    let workerLabel: String
    /// The dead worker's log fields (service, worker, pid).
    let fields: Logger.Metadata
}
