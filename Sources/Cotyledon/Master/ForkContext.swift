import Glibc
import SystemPackage

/// What the master hands every worker it forks, set up once before the first fork.
struct ForkContext {
    /// The master's pid, which workers watch as their parent.
    let masterPID: pid_t
    /// The listening sockets (systemd's and the master's own), each worker keeping those
    /// of its service at their numbers; replaced when a reload changes them.
    var listeners: Listeners
    /// Workers hold the read end; the write end lives only in the master, so end of file
    /// tells them the master is gone.
    let masterAlive: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    /// The descriptor limit the master raised, restored in workers.
    let descriptorLimit: FileDescriptorLimit
    /// Heartbeats of the workers whose service opted in (`nil` if the mapping failed).
    let heartbeats: HeartbeatBoard?
    /// The application's settings in force, which every fork hands its worker, and the
    /// region running workers read a reload's settings from; `nil` for a manager created
    /// without settings.
    let settings: PublishedSettings?
}
