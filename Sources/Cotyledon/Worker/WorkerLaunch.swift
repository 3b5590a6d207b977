import Glibc
import Logging
import SystemPackage

/// Everything a freshly forked worker needs from its master.
struct WorkerLaunch {
    let service: ServiceRegistration
    let workerID: Int
    let masterPID: pid_t
    /// The write end of this worker's message pipe to the master.
    let messagesWriteEnd: FileDescriptor
    /// The read end of the pipe whose write end only the master holds.
    let masterAliveReadEnd: FileDescriptor
    let descriptorLimit: FileDescriptorLimit
    /// Sockets from systemd, kept at their numbers (3 and up) in the worker.
    let listeners: Listeners
    /// Where the worker beats, when its service has a heartbeat timeout.
    let heartbeat: (board: HeartbeatBoard, slot: Int)?
    /// The application's settings in force at the fork, for a manager created with them.
    let settings: WorkerSettings?
    let newWorkerHooks: [NamedHook<@MainActor (ServiceIdentity, Int, Service) throws -> Void>]
    let logger: Logger
}
