import Glibc
import SystemPackage

/// The master's view of one live worker process.
///
/// The master signals a worker by its pid, holding no pidfd: a child keeps its pid until its
/// parent reaps it (as a zombie once it exited), and the master forgets the record when it
/// reaps, so the pid cannot name another process while the record exists.
final class WorkerRecord {
    let service: ServiceRegistration
    let workerID: Int
    let pid: pid_t
    /// The read end of the worker's message pipe; `nil` once the worker closed it.
    var messages: FileDescriptor?
    let startedAt: MonotonicInstant
    var isReady = false
    /// The worker said it exits to be respawned for a reload.
    var announcedReloadExit = false
    /// The worker said it stops because of this signal, sent by this process rather than
    /// the master.
    var outsideSignal: (signal: Signal, sender: pid_t)?
    /// Splits what the worker writes to its message pipe into messages.
    var messageDecoder = WorkerMessageDecoder()
    /// Set when the master asked the worker to stop; such a worker no longer fills its slot.
    var stopRequest: WorkerExitReason?
    /// Its heartbeat slot, when its service has a heartbeat timeout.
    var heartbeatSlot: Int?
    /// When the master sent SIGABRT for a missed heartbeat.
    var abortedAt: MonotonicInstant?
    /// When the worker is due for recycling (its service's `max_lifetime`), if ever.
    var recycleAt: MonotonicInstant?
    /// The build the worker runs: the master's when it forked it.
    var build: String
    /// Forked by the master's previous image and adopted across an in-place upgrade: it
    /// runs the old code and is never reloaded in place.
    var isAdopted = false

    init(service: ServiceRegistration, workerID: Int, pid: pid_t,
         messages: FileDescriptor?, startedAt: MonotonicInstant, build: String) {
        self.service = service
        self.build = build
        self.workerID = workerID
        self.pid = pid
        self.messages = messages
        self.startedAt = startedAt
    }

    var slot: WorkerSlot { WorkerSlot(service: service.id, workerID: workerID) }

    /// `printer worker(2) [pid 1234]`, the subject of the master's log lines.
    var label: String { "\(service.name) worker(\(workerID)) [pid \(pid)]" }

    /// Sends `signal` to the worker process alone; its pid is still its own (see above).
    func send(_ signal: Signal) {
        Syscall.send(signal, toProcess: pid)
    }

    /// Sends `signal` to the worker's process group (the worker and what it started);
    /// the group id is the worker's pid, which stays reserved until the master reaps it.
    func sendToGroup(_ signal: Signal) {
        Syscall.send(signal, toGroup: pid)
    }

    /// Closes the master's descriptor for this worker (its message pipe).
    func closeDescriptors() {
        if let messages { Syscall.close(messages) }
        messages = nil
    }
}
