import CCotyledonLinux
import Glibc
import Logging
import SystemPackage

/// Runs one ``Service`` in a worker process: creates it, reports readiness, maps the
/// master's signals to `terminate()`/`reload()`, and exits when the service is done.
///
/// | worker gets | does |
/// |---|---|
/// | SIGTERM | `terminate()`, waits for `run()` to return, exits 0 |
/// | SIGINT, SIGQUIT | exits 0 at once (the master's fast stop), even while `run()` blocks the main thread; an orphan kills its process group, itself included, instead |
/// | SIGTERM, SIGINT, SIGQUIT from another process than the master | tells the master who sent it, then as above |
/// | SIGHUP | reads the newest settings (``SettingsService/settings``), then `reload()` |
/// | master gone (pipe EOF, the pipe's hang-up signal, or parent-death SIGTERM) | `terminate()` within ``WorkerSignals/orphanGracePeriod``, then kills its process group, even while `run()` blocks the main thread |
///
/// Once `run()` has ended, a worker still waiting for `terminate()` says so in the log and
/// gives up just before its graceful shutdown timeout (see ``giveUpDelay(after:)``).
///
/// Signals and the master-alive pipe are read by the worker's ``WorkerEventLoop``, between
/// jobs; what must happen while a job holds the main thread is done by the signal handlers
/// and their timers (``WorkerSignals``).
@MainActor
final class WorkerRuntime {
    private let launch: WorkerLaunch
    private let loop: WorkerEventLoop
    private let descriptors: (messages: Int32, masterAlive: Int32)
    private var logger: Logger
    private var service: Service?
    private var runTask: Task<Void, Never>?
    private var isTerminating = false
    /// When `beginTermination()` ran; the give-up is counted from it.
    private var terminationStart: MonotonicInstant?
    /// When the stop that began then must be over (``Service/stopDeadline``): the moment of
    /// the give-up, on the clock services use.
    private(set) var stopDeadline: ContinuousClock.Instant?
    private var hasRunEnded = false
    private var isTerminatePending = false
    private var isWaitingForTerminate = false
    private var isOrphaned = false
    private var sentReady = false
    /// The application's settings this worker holds, for a manager created with them.
    private var settings: WorkerSettings?

    init(launch: WorkerLaunch, loop: WorkerEventLoop) {
        self.launch = launch
        self.loop = loop
        self.descriptors = WorkerProcess.descriptors(listeners: launch.listeners)
        var logger = launch.logger
        // The master's logger has the level it had at the fork; the worker follows the
        // daemon's level instead, which the master may change later (log-level, reload).
        if var handler = logger.handler as? CotyledonLogHandler {
            handler.followDaemonLogLevel()
            logger.handler = handler
        }
        logger[metadataKey: "service"] = "\(launch.service.name)"
        logger[metadataKey: "worker"] = "\(launch.workerID)"
        self.logger = logger
        self.settings = launch.settings
    }

    /// The sockets systemd passed to the master.
    var listeners: Listeners { launch.listeners }

    private var label: String { "\(launch.service.name) worker(\(launch.workerID))" }

    /// Installs signal handling, creates the service and starts `run()`.
    func start() {
        watchSignalsAndMaster()
        WorkerSettingsHolder.current = settings?.value
        let service: Service
        do {
            service = try launch.service.makeService(launch.workerID)
        } catch {
            logger.error("\(label) could not be created: \(error)", metadata: ["event": .event(.runFailed), "error": "\(error)"])
            finish(status: 1)
        }
        service.runtime = self
        self.service = service
        for hook in launch.newWorkerHooks {
            do {
                try hook.body(ServiceIdentity(id: launch.service.id, name: launch.service.name), launch.workerID, service)
            } catch {
                logger.error("new-worker hook \"\(hook.name)\" failed: \(error)",
                             metadata: ["event": .event(.hookFailed), "hook": "new-worker", "name": "\(hook.name)"])
            }
        }
        if let timeout = launch.service.heartbeatTimeout, let heartbeat = launch.heartbeat {
            // On the main actor, on the event loop: under .mainThread any task that blocks
            // or spins the main thread stops the beats, not only run().
            Task {
                while true {
                    heartbeat.board.beat(heartbeat.slot)
                    try? await Task.sleep(for: timeout / 4)
                }
            }
        }
        runTask = Task {
            if self.launch.service.readiness == .whenRunStarts { self.markReady() }
            do {
                try await service.run()
                self.runEnded(throwing: nil)
            } catch {
                self.runEnded(throwing: error)
            }
        }
    }

    // MARK: - Called by Service

    /// Cancels the task running `run()` (the default `terminate()`).
    func cancelRun() {
        runTask?.cancel()
    }

    /// Tells the master this worker exits to be respawned, then terminates (the default `reload()`).
    func restartForReload() {
        send(.exitingForReload)
        beginTermination()
    }

    /// Tells the master this worker is ready, once.
    func markReady() {
        guard !sentReady else { return }
        sentReady = true
        send(.ready)
    }

    // MARK: - Lifecycle

    private func runEnded(throwing error: Error?) {
        hasRunEnded = true
        if isTerminatePending { waitForTerminate() }
        // A stop signal already delivered (its handler notes it before the main actor hears
        // of it) counts too: a run() that failed in between, say because its child died of
        // the group's SIGTERM, is part of the stop, not a crash.
        if isTerminating || ccotyledon_stop_signal_received() != 0 {
            if let error, !(error is CancellationError) {
                logger.notice("\(label) run() threw while stopping: \(error)", metadata: ["event": .event(.runStoppedWithError)])
            }
            return
        }
        if let error {
            logger.error("\(label) run() failed: \(error)", metadata: ["event": .event(.runFailed), "error": "\(error)"])
            finish(status: 1)
        }
        logger.info("\(label) run() returned; the worker stays idle until it is stopped", metadata: ["event": .event(.runReturned)])
    }

    private func beginTermination() {
        guard !isTerminating else { return }
        isTerminating = true
        WorkerSignals.withdrawOutsideReport()
        guard let service else { finish(status: 0) }
        terminationStart = .now
        stopDeadline = .now + Self.giveUpDelay(after: launch.service.gracefulShutdownTimeout)
        service.stopToken.requestStop()
        logger.info("\(label) terminating", metadata: ["event": .event(.workerTerminate)])
        if hasRunEnded {
            // terminate() runs next on the main thread and may block it before it first
            // suspends, so that neither the task below nor the give-up ever runs: the group
            // kill, which needs no thread, bounds the wait from now on.
            WorkerSignals.killGroup(after: launch.service.gracefulShutdownTimeout)
        }
        isTerminatePending = true
        Task {
            await service.terminate()
            self.isTerminatePending = false
            await self.runTask?.value
            self.finish(status: 0)
        }
        // Queued behind the task above on the main actor: it runs once terminate() has
        // returned or suspended, so a terminate() that returns at once is not reported.
        Task {
            if self.hasRunEnded, self.isTerminatePending { self.waitForTerminate() }
        }
    }

    /// How long after it began terminating a worker gives up waiting for `terminate()`
    /// (once `run()` has ended): a tenth of the timeout, at most half a second, before the
    /// master's `SIGKILL` is due. The master starts its clock when it sends `SIGTERM`, a
    /// little before the worker starts its own; should the worker be later than that
    /// margin, the master's `SIGKILL` is the bound, as for a `run()` that never returns.
    nonisolated static func giveUpDelay(after timeout: Duration) -> Duration {
        timeout - min(timeout / 10, .milliseconds(500))
    }

    /// `run()` has ended and `terminate()` has not returned: says so, and arms the give-up.
    ///
    /// The give-up is a task on the main actor that sleeps until then. It does what the
    /// master's `SIGKILL` would do a moment later (the worker's process group goes), and also
    /// bounds the waits no master clock covers: a default `reload()` and a `SIGTERM` sent to
    /// the worker directly. Should a `terminate()` block the main thread instead of
    /// suspending, the task cannot run: the signal handlers' group kill, armed for the end
    /// of the graceful shutdown timeout, is the bound then. It is armed here, and already
    /// by `beginTermination()` when `run()` had ended before the termination began (a
    /// `terminate()` that blocks before it first suspends keeps this method from running).
    private func waitForTerminate() {
        guard !isWaitingForTerminate, let terminationStart else { return }
        isWaitingForTerminate = true
        let timeout = launch.service.gracefulShutdownTimeout
        let giveUp = terminationStart + Self.giveUpDelay(after: timeout)
        let remaining = max(giveUp - .now, .zero)
        let seconds = Double(remaining.nanoseconds / 1_000_000) / 1000
        logger.info("\(label) run() has returned; waiting for terminate() to return, at most \(seconds) s more (graceful shutdown timeout \(timeout.secondsValue) s)",
                    metadata: ["event": .event(.waitingForTerminate), "remaining": "\(seconds)"])
        WorkerSignals.killGroup(after: max((terminationStart + timeout) - .now, .zero))
        Task {
            try? await Task.sleep(for: remaining)
            self.logger.warning("\(self.label) terminate() has not returned and the graceful shutdown timeout (\(timeout.secondsValue) s) is nearly over; giving up: killing the worker's process group, exiting with status 1",
                                metadata: ["event": .event(.terminateTimeout)])
            ProcessGroup.killOtherMembers()
            fflush(nil)
            _exit(1)
        }
    }

    private func reload() {
        guard !isTerminating, let service else { return }
        refreshSettings(of: service)
        logger.info("\(label) reloading", metadata: ["event": .event(.workerReload)])
        Task { await service.reload() }
    }

    /// Takes the settings the master published last, if newer than the worker's: the
    /// service reads them from its `reload()` on. If they cannot be read (only corrupted
    /// memory or a write by the master overlapping every attempt can cause that), the
    /// worker keeps its settings and says so.
    private func refreshSettings(of service: Service) {
        guard var settings else { return }
        do {
            guard try settings.refresh() else { return }
        } catch {
            logger.error("\(label) cannot read the new settings, keeping its own: \(error)",
                         metadata: ["event": .event(.settingsUnreadable), "error": "\(error)"])
            return
        }
        self.settings = settings
        WorkerSettingsHolder.current = settings.value
        (service as? any SettingsReceiving)?.receive(settings.value)
    }

    private func masterGone() {
        guard !isOrphaned else { return }
        isOrphaned = true
        WorkerSignals.withdrawOutsideReport()
        WorkerSignals.killGroup(after: WorkerSignals.orphanGracePeriod)
        logger.warning("\(label): master process is gone; stopping within \(WorkerSignals.orphanGracePeriod)",
                       metadata: ["event": .event(.orphaned)])
        beginTermination()
    }

    /// Exits at once: `_exit` after flushing stdio, so no exit-time destructor races the
    /// worker's other threads. An orphan first kills what it started (its process group).
    private func finish(status: Int32) -> Never {
        if isOrphaned { ProcessGroup.killOtherMembers() }
        fflush(nil)
        _exit(status)
    }

    // MARK: - Signals and the master

    /// Installs signal handling and has the loop read the signals and watch the master.
    private func watchSignalsAndMaster() {
        do {
            let signals = try WorkerSignals(masterPID: launch.masterPID, messages: descriptors.messages,
                                            masterAlive: descriptors.masterAlive)
            try loop.watch(signals.readEnd) { [self] in
                MainActor.assumeIsolated { handleSignals(signals.received()) }
            }
            let masterAlive = FileDescriptor(rawValue: descriptors.masterAlive)
            try loop.watch(masterAlive) { [self] in
                MainActor.assumeIsolated { readMasterAlive(masterAlive) }
            }
        } catch {
            logger.critical("\(label) cannot install its signal handling: \(error)", metadata: ["event": .event(.workerSetupFailed)])
            finish(status: MasterExitCode.software.rawValue)
        }
    }

    /// The master-alive pipe is readable: at its end of file, the master is gone (only the
    /// master holds the write end, and never writes to it).
    private func readMasterAlive(_ masterAlive: FileDescriptor) {
        var byte: UInt8 = 0
        let count = withUnsafeMutableBytes(of: &byte) { try? Syscall.read(masterAlive, into: $0) }
        guard (count ?? 0) <= 0 else { return }
        loop.unwatch(masterAlive)
        masterGone()
    }

    private func handleSignals(_ signals: [(signal: Signal, sender: pid_t)]) {
        // The master first: its death closes the pipe and re-parents this worker before the
        // parent-death SIGTERM is sent, so "master gone" is reported before that SIGTERM,
        // and the worker logs why it stops.
        if !signals.isEmpty, getppid() != launch.masterPID { masterGone() }
        for (signal, sender) in signals { handle(signal, from: sender) }
    }

    private func handle(_ signal: Signal, from sender: pid_t) {
        switch signal {
        case .terminate:
            reportIfFromOutside(signal, sender: sender)
            beginTermination()
        case .interrupt, .quit:
            reportIfFromOutside(signal, sender: sender)
            finish(status: 0)
        case .hangup: reload()
        default: break
        }
    }

    /// Tells the master, once, that a stop signal came from `sender`, another process than
    /// the master (the master's own stops are signalled by its pid), so that it does not
    /// take the exit for a crash. An orphan has no master to tell. The report is written
    /// before the log line: a fast-stop backstop that ends the worker meanwhile may cut the
    /// log line, not the report.
    private func reportIfFromOutside(_ signal: Signal, sender: pid_t) {
        guard sender != launch.masterPID, !isTerminating, !isOrphaned, getppid() == launch.masterPID,
              WorkerSignals.reportOutside(signal, sender: sender) else { return }
        logger.warning("\(label) got \(signal) from pid \(sender), not from the master; stopping",
                       metadata: ["event": .event(.outsideSignal), "signal": "\(signal)", "sender": "\(sender)"])
    }

    private func send(_ message: WorkerMessage) {
        message.bytes.withUnsafeBytes { try? Syscall.writeAll(descriptors.messages, $0) }
    }
}
