import CCotyledonLinux
import Glibc
import SystemPackage

/// A worker's own watcher thread, independent of the main actor (which a busy `run()`
/// may hold): it receives the worker's signals, each with its sender's pid, through a
/// self-pipe and notices when the
/// master is gone (EOF on the master-alive pipe, or a parent-death SIGTERM with a new
/// parent). An orphaned worker gets ``gracePeriod`` to finish, then the sentinel kills
/// its whole process group.
///
/// The signal handlers are installed before the signals the master blocked are
/// unblocked, so a signal sent to a just-forked worker is never lost, never handled by
/// master code and never takes its default action.
final class WorkerSentinel: Sendable {
    /// Signals a worker handles.
    static let handledSignals: [Signal] = [.terminate, .interrupt, .quit, .hangup]

    /// How long an orphaned worker gets before its process group is killed.
    static let gracePeriod: Duration = .milliseconds(500)

    private let masterPID: pid_t
    private let signalPipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    private let masterAlive: Int32
    private let onSignal: @Sendable (Signal, _ sender: pid_t) -> Void
    private let onMasterGone: @Sendable () -> Void

    /// Installs the signal handlers and unblocks every signal the master blocked.
    ///
    /// - Parameters:
    ///   - onSignal: called on the sentinel thread for each handled signal received, with
    ///     the pid of the process that sent it (0 when the kernel sent it).
    ///   - onMasterGone: called on the sentinel thread once, when the master is gone.
    init(masterPID: pid_t, masterAliveDescriptor: Int32,
         onSignal: @escaping @Sendable (Signal, _ sender: pid_t) -> Void,
         onMasterGone: @escaping @Sendable () -> Void) throws(Errno) {
        self.masterPID = masterPID
        self.masterAlive = masterAliveDescriptor
        self.onSignal = onSignal
        self.onMasterGone = onMasterGone
        signalPipe = try Syscall.pipe()
        try Syscall.setNonBlocking(signalPipe.writeEnd)
        let numbers = Self.handledSignals.map(\.rawValue)
        try Syscall.retrying { ccotyledon_forward_signals_to_pipe(signalPipe.writeEnd.rawValue, numbers, Int32(numbers.count)) }
        try SignalSet(Master.handledSignals).unblock()
    }

    /// Starts the sentinel thread.
    func start() {
        BlockingThread.start { [self] in watch() }
    }

    private func watch() {
        var orphanDeadline: MonotonicInstant?
        var watchingMaster = true
        var records = [ccotyledon_signal_record](repeating: ccotyledon_signal_record(), count: 16)
        while true {
            var descriptors = [pollfd(fd: signalPipe.readEnd.rawValue, events: Int16(POLLIN), revents: 0)]
            if watchingMaster {
                descriptors.append(pollfd(fd: masterAlive, events: Int16(POLLIN), revents: 0))
            }
            let timeout = orphanDeadline?.pollTimeout(from: .now) ?? -1
            _ = try? Syscall.poll(&descriptors, timeout: timeout)
            if let orphanDeadline, orphanDeadline <= .now {
                kill(0, SIGKILL) // the whole process group, this worker included
            }
            // The master first: its death closes the pipe and re-parents this worker before
            // the parent-death SIGTERM is sent, so "master gone" is always reported before
            // that SIGTERM, and the worker logs why it stops.
            if watchingMaster, descriptors[1].revents != 0 {
                var byte: UInt8 = 0
                let count = withUnsafeMutableBytes(of: &byte) { try? Syscall.read(FileDescriptor(rawValue: masterAlive), into: $0) }
                if (count ?? 0) <= 0 { watchingMaster = false }
            }
            if orphanDeadline == nil, !watchingMaster || getppid() != masterPID {
                watchingMaster = false
                orphanDeadline = .now + Self.gracePeriod
                onMasterGone()
            }
            if descriptors[0].revents != 0 {
                forwardSignals(into: &records)
            }
        }
    }

    /// Reads the records the signal handler wrote and hands each to `onSignal`. Each
    /// record was written whole by one `write` and `records` holds whole records, so a read
    /// returns whole records.
    private func forwardSignals(into records: inout [ccotyledon_signal_record]) {
        let count = records.withUnsafeMutableBytes { bytes in (try? Syscall.read(signalPipe.readEnd, into: bytes)) ?? nil }
        guard let count else { return }
        for record in records.prefix(count / MemoryLayout<ccotyledon_signal_record>.stride) {
            onSignal(Signal(rawValue: record.signal_number), record.sender_pid)
        }
    }
}
