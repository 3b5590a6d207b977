import Glibc
import Logging
import SystemPackage

/// Everything a freshly forked worker needs from its master: what every fork hands its
/// worker (``ForkContext``) and what is this worker's own.
struct WorkerLaunch {
    let service: ServiceRegistration
    let workerID: Int
    /// What the master hands every worker it forks.
    let context: ForkContext
    /// The write end of this worker's message pipe to the master.
    let messagesWriteEnd: FileDescriptor
    /// The worker's slot on the heartbeat board, when its service has a heartbeat timeout.
    let heartbeatSlot: Int?
    /// The application's settings in force at the fork and their generation, for a manager
    /// created with them; taken before the fork, so that a reload published meanwhile is
    /// not mistaken for the one the worker holds.
    let settings: WorkerSettings?
    let newWorkerHooks: [NamedHook<@MainActor (ServiceIdentity, Int, Service) throws -> Void>]
    let logger: Logger

    /// The master's pid, which the worker watches as its parent.
    var masterPID: pid_t { context.masterPID }
    /// The read end of the pipe whose write end only the master holds.
    var masterAliveReadEnd: FileDescriptor { context.masterAlive.readEnd }
    /// The descriptor limit to restore in the worker.
    var descriptorLimit: FileDescriptorLimit { context.descriptorLimit }
    /// The listeners of the worker's service, kept at the master's numbers in the worker.
    var listeners: Listeners { context.listeners.only(service.configuration.listeners) }
    /// Where the worker beats, when its service has a heartbeat timeout.
    var heartbeat: (board: HeartbeatBoard, slot: Int)? {
        heartbeatSlot.flatMap { slot in context.heartbeats.map { ($0, slot) } }
    }
}
