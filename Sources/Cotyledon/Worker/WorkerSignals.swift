import CCotyledonLinux
import Glibc
import SystemPackage

/// A worker's signals: handlers that write each signal, with its sender's pid, to a
/// self-pipe the ``WorkerEventLoop`` watches, and that keep the worker's promises even while
/// a `run()` holds the main thread, when the loop cannot read the pipe:
///
/// - SIGINT and SIGQUIT end the worker at once: the handler itself does it (after telling
///   the master of a sender other than itself) when the loop is not waiting in `epoll_wait`;
///   otherwise the loop does, and a timer ``fastStopBackstop`` later does it in the handler
///   should the loop have started a job that blocks in between;
/// - a parent-death SIGTERM (the master is gone) arms a timer that kills the worker's process
///   group ``orphanGracePeriod`` later, whatever the main thread does;
/// - so does the hang-up of the master-alive pipe, which the kernel signals (signal-driven
///   I/O on a description of the pipe the worker opened for itself): this one still works
///   once a change of user or group id has cleared the parent-death signal.
///
/// The handlers are installed before the signals the master blocked are unblocked, so a
/// signal sent to a just-forked worker is never lost, never handled by master code and
/// never takes its default action. Both timers send `SIGRTMAX`, which the worker handles too.
struct WorkerSignals {
    /// Signals a worker handles.
    static let handledSignals: [Signal] = [.terminate, .interrupt, .quit, .hangup]

    /// How long an orphaned worker gets before its process group is killed.
    static let orphanGracePeriod: Duration = .milliseconds(500)

    /// How long after a SIGINT or SIGQUIT the handler ends the worker itself if the loop
    /// has not yet.
    static let fastStopBackstop: Duration = .milliseconds(100)

    /// The read end of the self-pipe (non-blocking).
    let readEnd: FileDescriptor

    /// Installs the handlers and unblocks every signal the master blocked.
    ///
    /// - Parameters:
    ///   - masterPID: the master's pid, the parent of a worker that is not orphaned.
    ///   - messages: the write end of the worker's message pipe, where the handler reports a
    ///     stop signal sent by another process than the master.
    ///   - masterAlive: the read end of the master-alive pipe; it is replaced, at the same
    ///     number, by a description of the same pipe that belongs to this worker alone.
    init(masterPID: pid_t, messages: Int32, masterAlive: Int32) throws(Errno) {
        // A handler writes the outside report to it and must never block: only a master that
        // stopped reading can fill it, and every message is a few bytes, written whole.
        try Syscall.setNonBlocking(FileDescriptor(rawValue: messages))
        let pipe = try Syscall.pipe()
        try Syscall.setNonBlocking(pipe.readEnd)
        try Syscall.setNonBlocking(pipe.writeEnd)
        readEnd = pipe.readEnd
        try Syscall.installWorkerSignalHandlers(
            pipe: pipe.writeEnd, messages: messages, masterAlive: masterAlive, masterPID: masterPID,
            outsideMessage: WorkerMessage.stoppedByOutsideSignal(Signal(rawValue: 0), sender: 0).bytes,
            signals: Self.handledSignals, fastStopBackstop: Self.fastStopBackstop, orphanGrace: Self.orphanGracePeriod)
        try SignalSet(Master.handledSignals + [Signal(rawValue: ccotyledon_worker_backstop_signal())]).unblock()
    }

    /// The signals the handlers wrote since the last call, each with its sender's pid (0 when
    /// the kernel sent it). Each record was written whole by one `write` and the buffer holds
    /// whole records, so a read returns whole records.
    func received() -> [(signal: Signal, sender: pid_t)] {
        var records = [ccotyledon_signal_record](repeating: ccotyledon_signal_record(), count: 16)
        let count = records.withUnsafeMutableBytes { bytes in (try? Syscall.read(readEnd, into: bytes)) ?? nil }
        guard let count else { return [] }
        return records.prefix(count / MemoryLayout<ccotyledon_signal_record>.stride).map {
            (Signal(rawValue: $0.signal_number), $0.sender_pid)
        }
    }

    /// Makes the worker's one report of a stop signal from outside (which the handler makes
    /// instead when it ends the worker itself): claims it and writes it to the message pipe
    /// in one async-signal-safe call, so that no handler ending the worker can come between
    /// the two. `true` when this call wrote it. When a handler on another thread is writing
    /// it, waits for that write (briefly) before returning `false`, so that the caller may
    /// exit at once.
    static func reportOutside(_ signal: Signal, sender: pid_t) -> Bool {
        ccotyledon_worker_report_outside(signal.rawValue, sender) != 0
    }

    /// No stop signal is to be reported from now on (the worker is stopping already, or has
    /// no master to tell).
    static func withdrawOutsideReport() {
        ccotyledon_worker_withdraw_outside_report()
    }

    /// Kills the worker's process group `delay` from now, whatever its threads do, unless
    /// that is due sooner already.
    static func killGroup(after delay: Duration) {
        // Fails only for a timer that could not be created, which init would have thrown.
        try? Syscall.armWorkerGroupKill(after: delay)
    }
}
