import CCotyledonLinux
import Glibc
import Logging
import SystemPackage

/// The supervisor: one thread, one `epoll` loop, no Dispatch, no tasks (ARCHITECTURE.md § Fork safety).
///
/// Each turn of the loop waits for a signal (read from a `signalfd`), a worker message
/// (one pipe per worker) or the nearest deadline (a graceful-stop timeout, a delayed
/// respawn, a watchdog ping), handles what arrived, then forks whatever workers are
/// missing. An idle master with no deadline sleeps in `epoll_wait` without waking. The
/// work per wake-up is proportional to what happened, not to the pool size.
final class Master {
    /// What the master is doing.
    enum Phase: Equatable {
        /// Keeping every service at its worker count.
        case running
        /// Waiting for workers to exit; `fast` after SIGINT/SIGQUIT or a second stop signal.
        case stopping(fast: Bool)
    }

    /// How long workers get after a fast stop before their group is killed.
    static let fastStopGrace: Duration = .seconds(1)

    /// The signals the master reads from its signalfd, blocked from start-up until a worker installs its own handling.
    static let handledSignals: [Signal] = [.terminate, .interrupt, .quit, .hangup, .ttin, .ttou, .child]
    private static let stopSignals: [Signal] = [.terminate, .interrupt, .quit]

    let services: [ServiceRegistration]
    /// The manager's hooks; replaced when hooks are registered from a hook.
    var hooks: Hooks
    /// The manager-level settings in force (from code or the last good reload).
    var configuration: ManagerConfiguration
    /// Reads the configuration again on SIGHUP; `nil` when settings come from code only.
    let loadConfiguration: (() throws -> ManagerConfiguration)?
    var logger: Logger
    private let pid: pid_t
    private let listeners: Listeners
    private let signals: SignalFileDescriptor
    var events: EventPoll
    /// The epoll token of the signalfd; worker pipes use their pid.
    private static let signalToken = UInt64.max
    /// The epoll token of the notify socket, watched for output while notifications wait.
    private static let notifyToken = UInt64.max - 2
    /// Whether the notify socket is registered with epoll.
    private var watchingNotifySocket = false
    /// Workers hold the read end; the write end lives only here, so EOF tells them the master is gone.
    private let masterAlive: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    private let descriptorLimit: FileDescriptorLimit
    let notifier: SystemdNotifier

    var phase = Phase.running
    private var exitStatus = MasterExitCode.stopped
    /// Why the master stops on its own (give-up, startup timeout), kept in systemd's status.
    private var stopCause: String?
    /// Every timer of the master: start-up, watchdog, health checks, respawn delays, roll
    /// readiness, kills after a stop timeout, and the notifier's and control clients' next deadlines.
    var deadlines = DeadlineQueue()
    /// Heartbeats of the workers whose service opted in (`nil` if the mapping failed).
    private let heartbeats = HeartbeatBoard()
    /// How often lifetimes are checked for recycling.
    private static let lifetimeCheckInterval: Duration = .seconds(1)
    var restarts: [ServiceID: Int] = [:]
    var workers: [pid_t: WorkerRecord] = [:]
    /// The worker filling each slot; workers being stopped no longer fill theirs.
    var slots: [WorkerSlot: WorkerRecord] = [:]
    /// Replacements started by a rolling restart, waiting to become ready and take the slot.
    var replacements: [WorkerSlot: WorkerRecord] = [:]
    /// Rolling restarts in progress, per service.
    var rolls: [ServiceID: RollingRestart] = [:]
    /// A SIGHUP arrived during a rolling restart: reload again once it is over.
    var reloadQueued = false
    /// A reload is applied, waiting for its rolls to finish before `READY=1`.
    var reloadInProgress = false
    /// Why the current reload failed in part (an aborted roll), for systemd's status line.
    var reloadFailure: String?
    /// The control socket and its clients, when a control socket was asked for.
    private(set) var controlServer: ControlServer?
    /// Unrequested exits per worker id, and how each id's last worker ended, for `status`.
    var slotRestarts: [WorkerSlot: Int] = [:]
    var lastExits: [WorkerSlot: String] = [:]
    /// Ready workers filling their slot, per service.
    var readyWorkers: [ServiceID: Int] = [:]
    /// Whether some slot may be empty: set by exits, scaling and due respawns, so the
    /// slots are scanned only when something changed.
    var slotsMayBeEmpty = true
    /// Restart intensity, boot failures and backoff of every service.
    private var crashPolicy = CrashPolicy()
    private var startedSlots: Set<WorkerSlot> = []
    private var reportedAllReady = false
    var statusChanged = true
    /// The counters of the `metrics` control command.
    var metrics = MasterMetrics()
    /// Whether `/proc` lists the master's own pid namespace, where adopted orphans can be found.
    private let procShowsOwnPidNamespace = ProcFile.showsOwnPidNamespace
    /// Process groups of dead workers with processes left in them, by group id.
    var leftoverGroups: [pid_t: LeftoverGroup] = [:]
    private var randomNumbers = SystemRandomNumberGenerator()

    /// Prepares the process to supervise: signal dispositions and mask, the signalfd,
    /// the master-alive pipe, descriptor limit and process title. Nothing is forked yet.
    init(services: [ServiceRegistration], hooks: Hooks, configuration: ManagerConfiguration,
         loadConfiguration: (() throws -> ManagerConfiguration)?, controlSocketPath: String?,
         logger: Logger) throws(CotyledonError) {
        self.services = services
        self.hooks = hooks
        self.configuration = configuration
        self.loadConfiguration = loadConfiguration
        self.logger = logger
        DaemonLogLevel.install(configuration.logLevel)
        self.pid = getpid()
        self.notifier = SystemdNotifier(logger: logger)
        self.listeners = Listeners.fromEnvironment(logger: logger)
        deadlines.update(.startup, to: configuration.startupTimeout.map { .now + $0 })
        MasterLogGuard.setInMaster(true)
        // An inherited SIG_IGN discards a signal before the signalfd sees it (a shell
        // ignores SIGINT and SIGQUIT for background jobs; SIG_IGN for SIGCHLD would also
        // make the kernel reap workers itself). A closed stderr or a vanished client
        // must not kill the master: SIGPIPE is ignored.
        for handled in Self.handledSignals {
            signal(handled.rawValue, SIG_DFL)
        }
        signal(SIGPIPE, SIG_IGN)
        // Workers inherit it: printed lines reach a pipe or the journal as they are printed.
        ccotyledon_line_buffer_stdout()
        do {
            let handled = SignalSet(Self.handledSignals)
            try handled.block()
            signals = try SignalFileDescriptor(handled)
            events = try EventPoll()
            try events.add(signals.descriptor, token: Self.signalToken)
        } catch {
            throw .systemCallFailed(call: "signalfd/epoll", errno: error)
        }
        do {
            masterAlive = try Syscall.pipe()
        } catch {
            throw .systemCallFailed(call: "pipe2", errno: error)
        }
        descriptorLimit = FileDescriptorLimit.raiseToHardLimit()
        if let controlSocketPath {
            do {
                controlServer = try ControlServer(path: controlSocketPath, events: events, performer: self)
            } catch {
                throw .controlSocket("\(error)")
            }
        }
        // Orphans of the workers' children are re-parented here rather than to init: the
        // master reaps them and takes them down when it stops (as PID 1 it gets them anyway).
        _ = ccotyledon_set_child_subreaper(1)
        let invocation = ProgramName.invocation
        ProcessTitle.set("\(invocation.name): master process [\(invocation.commandLine)]")
    }

    /// Supervises until a stop completes, then exits the process.
    func run() -> Never {
        let summary = services.map { "\($0.name):\($0.desiredWorkers)" }.joined(separator: ",")
        logger.info("master process started", metadata: ["event": .event(.masterStarted), "pid": "\(pid)", "services": "\(summary)"])
        if !procShowsOwnPidNamespace {
            logger.warning("/proc shows another pid namespace than the master's: orphans it adopts are reaped but not stopped with it; mount a /proc for the namespace (unshare --mount-proc; container runtimes do)",
                           metadata: ["event": .event(.procForeign)])
        }
        notifier.send("MAINPID=\(pid)", "STATUS=starting \(summary)")
        if let control = controlServer?.socket {
            logger.info("control socket listening at \(control.path)", metadata: ["event": .event(.controlListening), "path": "\(control.path)"])
        }
        deadlines.update(.watchdogPing, to: notifier.watchdogInterval.map { .now + $0 })
        scheduleHealthChecks()
        spawnMissingWorkers()
        while true {
            publishStatusIfChanged()
            if case .stopping = phase, workers.isEmpty {
                exitMaster()
            }
            waitAndHandleEvents()
            fireDueDeadlines()
            spawnMissingWorkers()
        }
    }

    // MARK: - Waiting

    private func waitAndHandleEvents() {
        watchNotifySocketWhileBackedUp()
        refreshComponentDeadlines()
        let ready: [EventPoll.Event]
        do {
            ready = try events.wait(timeout: pollTimeout())
        } catch {
            logger.critical("epoll_wait failed: \(error)", metadata: ["event": .event(.pollFailed)])
            exitMaster(status: MasterExitCode.software.rawValue)
        }
        var signalsArrived = false
        // Messages first: a worker's "ready" must count before its exit is reaped.
        for event in ready {
            if event.token == Self.signalToken {
                signalsArrived = true
            } else if event.token == ControlServer.listenerToken {
                controlServer?.acceptClients()
            } else if event.token == Self.notifyToken {
                notifier.socketBecameWritable(now: .now)
            } else if event.token >= ControlServer.clientTokenBase {
                controlServer?.serviceClient(token: event.token, events: event.events)
            } else if let worker = workers[pid_t(truncatingIfNeeded: event.token)] {
                readMessages(from: worker)
            }
        }
        if signalsArrived {
            handleSignals()
        }
    }

    /// Milliseconds until the nearest deadline, or -1 (wait forever) when there is none.
    private func pollTimeout() -> Int32 {
        deadlines.pollTimeout(now: .now)
    }

    /// Copies into ``deadlines`` the next deadlines of the components that keep their own
    /// timers (the notifier and the control clients), which anything may have moved.
    private func refreshComponentDeadlines() {
        deadlines.update(.notifier, to: notifier.nextDeadline)
        deadlines.update(.controlClients, to: controlServer?.nextDeadline)
    }

    /// Registers the notify socket for output while notifications wait for the service
    /// manager's queue to have room, and only then (an idle socket is always writable).
    private func watchNotifySocketWhileBackedUp() {
        let wanted = notifier.awaitsWritableSocket
        guard wanted != watchingNotifySocket, let socket = notifier.descriptor else { return }
        // Should epoll_ctl fail, waiting notifications are still retried at the notifier's deadline.
        try? events.watchOutput(of: socket, token: Self.notifyToken, wanted)
        watchingNotifySocket = wanted
    }

    // MARK: - Worker messages

    private func readMessages(from worker: WorkerRecord) {
        guard let messages = worker.messages else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count: Int?
            do {
                count = try Syscall.read(messages, into: &buffer)
            } catch {
                count = 0
            }
            guard let count else { return }
            if count == 0 {
                // The worker exited or closed its end: closing also removes it from epoll;
                // the reap follows.
                Syscall.close(messages)
                worker.messages = nil
                return
            }
            for byte in buffer.prefix(count) {
                switch WorkerMessage(rawValue: byte) {
                case .ready: workerBecameReady(worker)
                case .exitingForReload: worker.announcedReloadExit = true
                case nil: logger.warning("\(worker.label) sent an unknown message byte \(byte)", metadata: ["event": .event(.protocolError)])
                }
            }
        }
    }

    private func workerBecameReady(_ worker: WorkerRecord) {
        guard !worker.isReady else { return }
        worker.isReady = true
        crashPolicy.workerBecameReady(in: worker.service.id)
        statusChanged = true
        logger.info("\(worker.label) ready", metadata: workerFields(worker, event: .workerReady))
        if replacements[worker.slot] === worker {
            promoteReplacement(worker)
        } else if slots[worker.slot] === worker {
            readyWorkers[worker.service.id, default: 0] += 1
        }
        if rolls[worker.service.id]?.current === worker {
            advanceRoll(of: worker.service)
        }
        reportAllReadyIfComplete()
    }

    private func reportAllReadyIfComplete() {
        guard !reportedAllReady, phase == .running,
              services.allSatisfy({ readyWorkers[$0.id, default: 0] == $0.desiredWorkers }) else { return }
        let total = services.reduce(0) { $0 + $1.desiredWorkers }
        reportedAllReady = true
        deadlines.cancel(.startup)
        logger.info("all \(total) workers ready", metadata: ["event": .event(.allReady), "workers": "\(total)"])
        notifier.ready(status: statusText())
        statusChanged = false
    }

    // MARK: - Signals

    private func handleSignals() {
        let received: [Signal]
        do {
            received = try signals.readPending()
        } catch {
            logger.error("reading signals failed: \(error)", metadata: ["event": .event(.signalReadFailed)])
            return
        }
        if received.contains(.child) {
            reapChildren()
        }
        // Standard signals coalesce; a stop read in the same batch as others wins.
        if let stop = received.first(where: { Self.stopSignals.contains($0) }) {
            logSignal(stop)
            beginStop(fast: stop != .terminate || phase != .running)
            return
        }
        for signal in received where signal != .child {
            logSignal(signal)
            guard phase == .running else {
                logger.info("ignoring \(signal) while stopping", metadata: ["event": .event(.signalIgnored), "signal": "\(signal)"])
                continue
            }
            switch signal {
            case .hangup: reload()
            case .ttin:
                for service in services {
                    resize(service, by: 1, signal: signal)
                }
            case .ttou:
                for service in services {
                    resize(service, by: -1, signal: signal)
                }
            default: break
            }
        }
    }

    private func logSignal(_ signal: Signal) {
        logger.info("received \(signal)", metadata: ["event": .event(.signal), "signal": "\(signal)"])
    }

    /// Whether a stop signal is waiting, checked between forks so a stop during a big
    /// start-up is not delayed by forking workers that would only be stopped again.
    private var stopSignalPending: Bool {
        let pending = SignalSet.pending()
        return Self.stopSignals.contains { pending.contains($0) }
    }

    // MARK: - Reaping

    /// Reaps every exited child. A worker's process group is signalled before its zombie
    /// is reaped, while the group's id (the worker's pid) cannot have been reused.
    private func reapChildren() {
        // Ends when no child has exited, or none is left (ECHILD).
        while let pid = try? Syscall.exitedChild() {
            let worker = workers[pid]
            let leftovers = worker.map { terminateLeftovers(of: $0) } ?? 0
            guard let raw = try? Syscall.reap(pid) else { return }
            let status = WorkerExitStatus(waitStatus: raw)
            if let worker {
                workers[pid] = nil
                workerExited(worker, status: status)
                if leftovers > 0 { watchLeftovers(of: worker, count: leftovers) }
            } else {
                // As PID 1 or a subreaper, orphans of other processes end up here.
                logger.info("reaped process \(pid), not a worker: \(status)",
                            metadata: ["event": .event(.reapedOther), "pid": "\(pid)", "status": "\(status.token)"])
            }
        }
    }

    private func workerExited(_ worker: WorkerRecord, status: WorkerExitStatus) {
        readMessages(from: worker)
        worker.closeDescriptors()
        lastExits[worker.slot] = status.token
        if let slot = worker.heartbeatSlot { heartbeats?.release(slot) }
        vacateSlot(of: worker)
        replacementExited(worker, status: status)
        deadlines.cancel(.killWorker(worker.pid))
        slotsMayBeEmpty = true
        statusChanged = true
        let reason: WorkerExitReason = worker.stopRequest
            ?? (worker.announcedReloadExit ? .reload : (worker.isReady ? .crash : .failedBeforeReady))
        metrics.increment(.workerExits, ["service": worker.service.name, "reason": reason.rawValue])
        if case .killed(let signal, _) = status {
            metrics.increment(.workerSignals, ["service": worker.service.name, "signal": "\(signal)"])
        }
        var fields = workerFields(worker, event: .workerExited)
        fields["status"] = "\(status.token)"
        fields["reason"] = "\(reason.rawValue)"
        let message: Logger.Message = "\(worker.label) \(status)"
        if reason.isFailure { logger.error(message, metadata: fields) } else { logger.info(message, metadata: fields) }
        for hook in hooks.deadWorker {
            runHook("dead-worker", hook.name) { try hook.body(worker.service.id, worker.workerID, status) }
        }
        guard phase == .running else { return }
        let now = MonotonicInstant.now
        let exit = CrashPolicy.Exit(
            slot: worker.slot, serviceName: worker.service.name, reason: reason, uptime: now - worker.startedAt,
            slotIsToBeRefilled: worker.workerID < worker.service.desiredWorkers && slots[worker.slot] == nil, at: now)
        switch crashPolicy.decide(after: exit, under: worker.service.configuration.restart, using: &randomNumbers) {
        case .noRestart:
            return
        case .giveUp(let exitCode, let why):
            giveUp(exitCode, because: why)
        case .respawnNow:
            countRestart(of: worker)
        case .respawn(let instant, let delay, let failures):
            countRestart(of: worker)
            delayRespawn(of: worker, until: instant, delay: delay, earlyFailures: failures)
        }
    }

    /// Keeps `worker`'s slot empty until `instant`, after its `earlyFailures` in a row.
    private func delayRespawn(of worker: WorkerRecord, until instant: MonotonicInstant, delay: Duration, earlyFailures: Int) {
        deadlines.schedule(.respawn(worker.slot), at: instant)
        var fields = workerFields(worker, event: .respawnDelayed)
        fields["delay"] = "\(delay.secondsValue)"
        fields["failures"] = "\(earlyFailures)"
        logger.warning("\(worker.service.name) worker(\(worker.workerID)) failed \(earlyFailures) times in a row within \(worker.service.configuration.restart.minimumUptime): respawn in \(delay.secondsValue) s", metadata: fields)
    }

    /// Counts an unrequested exit whose slot is refilled, for `status` and the metrics.
    private func countRestart(of worker: WorkerRecord) {
        restarts[worker.service.id, default: 0] += 1
        slotRestarts[worker.slot, default: 0] += 1
        metrics.increment(.workerRestarts, ["service": worker.service.name])
    }

    /// Stops everything gracefully and exits with `status`, saying why in the log and to systemd.
    private func giveUp(_ status: MasterExitCode, because reason: String) {
        logger.critical("giving up: \(reason); stopping every service, exit status \(status.rawValue)",
                        metadata: ["event": .event(.giveUp), "status": "\(status.rawValue)", "error": "\(reason)"])
        notifier.send("STATUS=gave up: \(reason)")
        stopCause = "gave up: \(reason)"
        exitStatus = status
        beginStop(fast: false)
    }

    // MARK: - Forking

    private func spawnMissingWorkers() {
        guard phase == .running, slotsMayBeEmpty else { return }
        slotsMayBeEmpty = false
        for service in services {
            for workerID in 0..<service.desiredWorkers {
                let slot = WorkerSlot(service: service.id, workerID: workerID)
                guard slots[slot] == nil, deadlines.instant(of: .respawn(slot)) == nil else { continue }
                guard !stopSignalPending else {
                    slotsMayBeEmpty = true
                    return
                }
                spawn(service, workerID: workerID)
                pingWatchdogIfDue()
            }
        }
    }

    /// Forks a worker for `workerID`; a `replacement` waits outside its slot until ready.
    @discardableResult
    func spawn(_ service: ServiceRegistration, workerID: Int, replacement: Bool = false) -> WorkerRecord? {
        let slot = WorkerSlot(service: service.id, workerID: workerID)
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let child: pid_t
        do {
            pipe = try Syscall.pipe()
            fflush(nil) // or the child would print the master's buffered output again
            do {
                child = try Syscall.fork()
            } catch {
                Syscall.close(pipe.readEnd)
                Syscall.close(pipe.writeEnd)
                throw error
            }
        } catch {
            let retry = Duration.seconds(1)
            deadlines.schedule(.respawn(slot), at: .now + retry)
            logger.error("cannot fork \(service.name) worker(\(workerID)): \(error); retrying in 1 s",
                         metadata: ["event": .event(.forkFailed), "service": "\(service.name)", "worker": "\(workerID)", "error": "\(error)"])
            return nil
        }
        let heartbeatSlot = service.heartbeatTimeout == nil ? nil : heartbeats?.allocate()
        if child == 0 {
            WorkerProcess.run(WorkerLaunch(
                service: service, workerID: workerID, masterPID: pid,
                messagesWriteEnd: pipe.writeEnd, masterAliveReadEnd: masterAlive.readEnd,
                descriptorLimit: descriptorLimit, listeners: listeners,
                heartbeat: heartbeatSlot.flatMap { slot in heartbeats.map { ($0, slot) } }, newWorkerHooks: hooks.newWorker, logger: logger))
        }
        Syscall.setProcessGroup(of: child, to: child)
        Syscall.close(pipe.writeEnd)
        try? Syscall.setNonBlocking(pipe.readEnd)
        do {
            try events.add(pipe.readEnd, token: UInt64(child))
        } catch {
            logger.error("cannot watch \(service.name) worker(\(workerID))'s pipe: \(error)",
                         metadata: ["event": .event(.epollFailed), "service": "\(service.name)", "worker": "\(workerID)"])
        }
        let pidfd = try? Syscall.openPIDFileDescriptor(child)
        let worker = WorkerRecord(service: service, workerID: workerID, pid: child, pidfd: pidfd,
                                  messages: pipe.readEnd, startedAt: .now)
        if let lifetime = service.configuration.maxLifetime {
            let spread = 1 - service.configuration.lifetimeJitter * Double.random(in: 0...1, using: &randomNumbers)
            worker.recycleAt = worker.startedAt + .saturating(seconds: lifetime.secondsValue * spread)
        }
        worker.heartbeatSlot = heartbeatSlot
        workers[child] = worker
        if replacement {
            replacements[slot] = worker
        } else {
            slots[slot] = worker
        }
        let isRespawn = !startedSlots.insert(slot).inserted
        statusChanged = true
        metrics.increment(.workerStarts, ["service": service.name])
        var fields = workerFields(worker, event: .workerStarted)
        fields["respawn"] = "\(isRespawn)"
        logger.info("\(worker.label) \(replacement ? "started as a replacement" : isRespawn ? "respawned" : "started")", metadata: fields)
        return worker
    }

    // MARK: - Deadlines

    /// Handles the deadlines due now, earliest first.
    private func fireDueDeadlines() {
        refreshComponentDeadlines()
        let now = MonotonicInstant.now
        var healthChecked = false
        for deadline in deadlines.popDue(now: now) {
            switch deadline {
            case .startup:
                if phase == .running { startupTimedOut() }
            case .watchdogPing:
                pingWatchdog(now: now)
            case .heartbeatCheck:
                checkHeartbeats(now: now)
                healthChecked = true
            case .lifetimeCheck:
                if phase == .running { recycleWorkersPastLifetime(now: now) }
                healthChecked = true
            case .notifier:
                notifier.sendDue(now: now)
            case .controlClients:
                controlServer?.serviceClients(now: now)
            case .respawn:
                slotsMayBeEmpty = true
            case .rollReadiness(let service):
                guard let roll = rolls[service] else { continue }
                abortRoll(of: roll.service, because: "\(roll.service.name) worker(\(roll.current?.workerID ?? -1)) was not ready within \(roll.service.configuration.readinessTimeout)")
            case .killWorker(let pid):
                guard let worker = workers[pid] else { continue }
                logger.warning("\(worker.label) did not stop in time: sending SIGKILL to its process group",
                               metadata: workerFields(worker, event: .stopTimeout))
                worker.sendToGroup(.kill)
            case .killLeftoverGroup(let group):
                killLeftoverGroup(group)
            }
        }
        // Both checks are re-armed from now when either was due.
        if healthChecked { scheduleHealthChecks() }
    }

    /// Recycles the workers filling a slot whose lifetime is over.
    private func recycleWorkersPastLifetime(now: MonotonicInstant) {
        for worker in slots.values {
            if let due = worker.recycleAt, due <= now { recycle(worker) }
        }
    }

    /// Sets the next heartbeat check (half the shortest heartbeat timeout) and lifetime
    /// check, or none when no service needs them: no timer is armed for nothing.
    func scheduleHealthChecks() {
        let now = MonotonicInstant.now
        deadlines.update(.heartbeatCheck, to: services.compactMap(\.heartbeatTimeout).min().map { now + $0 / 2 })
        deadlines.update(.lifetimeCheck,
                         to: services.contains { $0.configuration.maxLifetime != nil } ? now + Self.lifetimeCheckInterval : nil)
    }

    /// SIGABRT to workers whose heartbeat is older than their service's timeout (Swift's
    /// backtracer prints where they are stuck), SIGKILL to their group after the same
    /// time again. The exit then counts as a crash and the worker is respawned.
    private func checkHeartbeats(now: MonotonicInstant) {
        guard let heartbeats else { return }
        for worker in workers.values {
            guard let timeout = worker.service.heartbeatTimeout, let slot = worker.heartbeatSlot,
                  worker.stopRequest == nil else { continue }
            if let abortedAt = worker.abortedAt {
                guard now - abortedAt >= timeout else { continue }
                logger.error("\(worker.label) is still hung \(timeout) after SIGABRT: sending SIGKILL to its process group",
                             metadata: workerFields(worker, event: .heartbeatKill))
                worker.sendToGroup(.kill)
                worker.heartbeatSlot = nil
                heartbeats.release(slot)
                continue
            }
            let lastSign = max(heartbeats.lastBeat(slot) ?? worker.startedAt, worker.startedAt)
            guard now - lastSign > timeout else { continue }
            logger.error("\(worker.label) missed its heartbeat for \((now - lastSign).secondsValue) s (timeout \(timeout)): sending SIGABRT",
                         metadata: workerFields(worker, event: .heartbeatTimeout))
            metrics.increment(.heartbeatTimeouts, ["service": worker.service.name])
            worker.abortedAt = now
            worker.send(.abort)
        }
    }

    /// Sends `WATCHDOG=1` when due. Called from the loop itself (a stuck loop stops the
    /// pings and systemd steps in) and between forks of a big start-up.
    private func pingWatchdogIfDue(now: MonotonicInstant = .now) {
        guard let ping = deadlines.instant(of: .watchdogPing), ping <= now else { return }
        pingWatchdog(now: now)
    }

    /// Sends `WATCHDOG=1` and arms the next ping.
    private func pingWatchdog(now: MonotonicInstant) {
        guard let interval = notifier.watchdogInterval else { return }
        notifier.watchdogPing()
        deadlines.schedule(.watchdogPing, at: now + interval)
    }

    // MARK: - Stopping

    func beginStop(fast: Bool) {
        switch phase {
        case .running:
            phase = .stopping(fast: fast)
            let longest = services.map(\.gracefulShutdownTimeout).max() ?? .zero
            notifier.stopping(within: (fast ? min(Self.fastStopGrace, longest) : longest) + .seconds(5))
            logger.info("stopping \(fast ? "fast" : "gracefully")", metadata: ["event": .event(.stopping), "mode": "\(fast ? "fast" : "graceful")"])
            for hook in hooks.terminate {
                runHook("terminate", hook.name) { try hook.body() }
            }
            signalAdoptedProcesses(.terminate)
            answerReloadWaiters(failure: "the daemon is stopping")
            deadlines.cancelAll { deadline in
                switch deadline {
                case .respawn, .rollReadiness: true
                default: false
                }
            }
            rolls.removeAll()
            reloadQueued = false
        case .stopping(fast: false):
            phase = .stopping(fast: true)
            logger.info("second stop signal: stopping fast", metadata: ["event": .event(.stopping), "mode": "fast"])
        case .stopping(fast: true):
            return
        }
        for worker in workers.values {
            requestStop(of: worker, reason: worker.stopRequest ?? .stopped, fast: fast || phase == .stopping(fast: true))
        }
    }

    /// Asks `worker`'s process group to stop (SIGTERM, or SIGINT when `fast`, then
    /// SIGCONT for stopped processes) and arms the deadline after which it is killed.
    func requestStop(of worker: WorkerRecord, reason: WorkerExitReason, fast: Bool) {
        if worker.stopRequest == nil {
            var fields = workerFields(worker, event: .workerStopping)
            fields["reason"] = "\(reason.rawValue)"
            logger.info("stopping \(worker.label) (\(reason.rawValue))", metadata: fields)
        }
        worker.stopRequest = reason
        vacateSlot(of: worker)
        worker.sendToGroup(fast ? .interrupt : .terminate)
        worker.sendToGroup(.continue)
        let deadline = MonotonicInstant.now + (fast ? min(Self.fastStopGrace, worker.service.gracefulShutdownTimeout)
                                                    : worker.service.gracefulShutdownTimeout)
        let kill = Deadline.killWorker(worker.pid)
        deadlines.schedule(kill, at: min(deadlines.instant(of: kill) ?? deadline, deadline))
        statusChanged = true
    }

    /// The initial workers were not all ready in time: say why and stop.
    private func startupTimedOut() {
        let status = "startup failed: \(statusText()) when the startup timeout expired"
        logger.error("\(status); stopping", metadata: ["event": .event(.startupTimeout)])
        notifier.send("STATUS=\(status)")
        stopCause = status
        exitStatus = .startupTimedOut
        beginStop(fast: false)
    }

    /// Children of the master that are not workers: orphans it adopted as a subreaper (or
    /// as PID 1 of a pid namespace). None when `/proc` shows another pid namespace: its
    /// pids are not the master's to signal (warned at start).
    func adoptedProcesses() -> [pid_t] {
        guard procShowsOwnPidNamespace else { return [] }
        let children = ProcFile.read("/proc/thread-self/children") ?? ""
        return children.split(separator: " ").compactMap { pid_t($0) }.filter { workers[$0] == nil }
    }

    private func signalAdoptedProcesses(_ signal: Signal) {
        for adopted in adoptedProcesses() {
            Syscall.send(signal, toProcess: adopted)
            Syscall.send(.continue, toProcess: adopted)
        }
    }

    /// How many times the master looks for adopted processes left when it exits.
    private static let adoptionRounds = 64

    private func exitMaster(status: Int32? = nil) -> Never {
        let status = status ?? exitStatus.rawValue
        controlServer?.remove()
        // Nothing adopted outlives the master. An adopted process that dies here may leave
        // children of its own, re-parented to the master as it exits: look again until none
        // is left (bounded, should a process keep forking).
        for _ in 0..<Self.adoptionRounds {
            let adopted = adoptedProcesses()
            guard !adopted.isEmpty else { break }
            for pid in adopted {
                Syscall.send(.kill, toProcess: pid)
                var raw: Int32 = 0
                _ = try? Syscall.retrying { waitpid(pid, &raw, 0) }
                logger.info("reaped process \(pid), not a worker: \(WorkerExitStatus(waitStatus: raw))",
                            metadata: ["event": .event(.reapedOther), "pid": "\(pid)", "status": "\(WorkerExitStatus(waitStatus: raw).token)"])
            }
        }
        notifier.flushBeforeExit()
        logger.info("master exiting with status \(status)", metadata: ["event": .event(.masterExit), "status": "\(status)"])
        fflush(nil)
        exit(status)
    }

    // MARK: - Scaling

    /// One worker more or fewer, within the service's `min_workers...max_workers`.
    private func resize(_ service: ServiceRegistration, by step: Int, signal: Signal) {
        let bounds = service.configuration.minWorkers...service.configuration.maxWorkers
        guard bounds.contains(service.desiredWorkers + step) else {
            logger.info("\(service.name) stays at \(service.desiredWorkers) workers: \(signal) ignored, the range is \(bounds)",
                        metadata: ["event": .event(.scaleRefused), "service": "\(service.name)", "workers": "\(service.desiredWorkers)"])
            return
        }
        scale(service, to: service.desiredWorkers + step)
    }

    /// Sets `service`'s worker count; scaling down stops the highest ids gracefully.
    func scale(_ service: ServiceRegistration, to count: Int) {
        guard phase == .running, count != service.desiredWorkers else { return }
        let previous = service.desiredWorkers
        service.desiredWorkers = count
        for workerID in count..<max(count, previous) {
            let slot = WorkerSlot(service: service.id, workerID: workerID)
            deadlines.cancel(.respawn(slot))
            crashPolicy.forget(slot)
            if let worker = slots[slot] {
                requestStop(of: worker, reason: .scaledDown, fast: false)
            }
            if let worker = replacements.removeValue(forKey: slot) {
                requestStop(of: worker, reason: .scaledDown, fast: false)
            }
        }
        if let roll = rolls[service.id], let current = roll.current, current.workerID >= count {
            advanceRoll(of: service)
        }
        slotsMayBeEmpty = true
        statusChanged = true
        logger.info("\(service.name) scaled from \(previous) to \(count) workers",
                    metadata: ["event": .event(.scaled), "service": "\(service.name)", "workers": "\(count)"])
    }

    // MARK: - Helpers

    /// Takes `worker` out of its slot (it exits or is being stopped), keeping the ready counts.
    func vacateSlot(of worker: WorkerRecord) {
        guard slots[worker.slot] === worker else { return }
        slots[worker.slot] = nil
        if worker.isReady {
            readyWorkers[worker.service.id, default: 0] -= 1
        }
    }

    func runHook(_ kind: String, _ name: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            logger.error("\(kind) hook \"\(name)\" failed: \(error)",
                         metadata: ["event": .event(.hookFailed), "hook": "\(kind)", "name": "\(name)"])
        }
    }

    func workerFields(_ worker: WorkerRecord, event: LogEventName) -> Logger.Metadata {
        ["event": .event(event), "service": "\(worker.service.name)", "worker": "\(worker.workerID)", "pid": "\(worker.pid)"]
    }

    /// `printer 4/4 ready, 2 restarts; web 2/2 ready`, for systemd's status line.
    func statusText() -> String {
        services.map { service in
            let ready = readyWorkers[service.id, default: 0]
            let restartCount = restarts[service.id] ?? 0
            return "\(service.name) \(ready)/\(service.desiredWorkers) ready"
                + (restartCount > 0 ? ", \(restartCount) restart\(restartCount == 1 ? "" : "s")" : "")
        }.joined(separator: "; ")
    }

    private func publishStatusIfChanged() {
        guard statusChanged, notifier.isEnabled else { return }
        statusChanged = false
        let stopping = (stopCause.map { "\($0); " } ?? "") + "stopping: \(workers.count) workers left"
        notifier.updateStatus(phase == .running ? statusText() : stopping, now: .now)
    }
}
