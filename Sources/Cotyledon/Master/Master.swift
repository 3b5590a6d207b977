import CCotyledonLinux
import Glibc
import Logging
import SystemPackage

/// The supervisor: one thread, one `epoll` loop, no Dispatch, no tasks (ARCHITECTURE.md § Fork safety).
///
/// Each turn of the loop waits for a signal (read from a `signalfd`), a worker message
/// (one pipe per worker), a control client or the nearest deadline (``DeadlineQueue``),
/// handles what arrived, then forks whatever workers are missing. An idle master with no
/// deadline sleeps in `epoll_wait` without waking. The work per wake-up is proportional to
/// what happened, not to the pool size.
///
/// Its state is grouped where it belongs: the ``Lifecycle``, one ``ServicePool`` per service
/// (one ``SlotRecord`` per worker id), the ``ProcessTable`` of its children, the
/// ``CrashPolicy`` and the ``DeadlineQueue``. Its behaviour is split by concern across the
/// `Master+…` files: workers, signals, stopping, health, scaling, reload and rolls.
final class Master {
    /// How long workers get after a fast stop before their group is killed.
    static let fastStopGrace: Duration = .seconds(1)
    /// The signals the master reads from its signalfd, blocked from start-up until a worker installs its own handling.
    static let handledSignals: [Signal] = [.terminate, .interrupt, .quit, .hangup, .ttin, .ttou, .child, .user2]
    /// The epoll token of the signalfd; worker pipes use their pid.
    private static let signalToken = UInt64.max
    /// The epoll token of the notify socket, watched for output while notifications wait.
    private static let notifyToken = UInt64.max - 2
    /// The epoll token of the output pipe of an upgrade's check run.
    static let upgradeCheckToken = UInt64.max - 3
    /// The most children reaped in one turn of the loop, so that a thousand exits at once
    /// (a stop, a mass kill) leave turns for signals, messages and control clients.
    static let reapBatch = 128
    /// The most workers forked one after the other before their records are made (see
    /// ``forkBurst(in:workerIDs:)``), so a stop signal or the watchdog waits for at most
    /// this many forks.
    static let forkBurst = 64

    /// One pool per service, in registration order: a service's id is its index.
    let pools: [ServicePool]
    /// The manager's hooks; replaced when hooks are registered from a hook.
    var hooks: Hooks
    /// The manager-level settings in force (from code or the last good reload).
    var configuration: ManagerConfiguration
    /// Reads the configuration again on SIGHUP; `nil` when settings come from code only.
    let loadConfiguration: (() throws -> ManagerConfiguration)?
    /// The master's logger, whose level follows the configuration and `log-level`.
    var logger: Logger
    /// What every fork hands the worker; its listeners change on reload.
    var forkContext: ForkContext
    /// The listening sockets: systemd's and the ones the master opened.
    let listenerTable: ListenerTable
    /// Where the handled signals are read.
    let signals: SignalFileDescriptor
    /// The one `epoll` instance of the loop.
    var events: EventPoll
    /// `sd_notify`, watchdog and status for systemd.
    let notifier: SystemdNotifier
    /// Starting, running (with a reload in progress) or stopping.
    var lifecycle: Lifecycle
    /// Every timer of the master: start-up, watchdog, health checks, respawn delays, roll
    /// readiness, kills after a stop timeout, and the notifier's and control clients' next deadlines.
    var deadlines = DeadlineQueue()
    /// The workers, leftover process groups and adopted orphans.
    var children = ProcessTable()
    /// The last reaping stopped at ``reapBatch`` children: the next turn reaps on without
    /// waiting for events (the SIGCHLD that announced them was read already).
    var reapBacklog = false
    /// Restart intensity, boot failures and backoff of every service.
    var crashPolicy = CrashPolicy()
    /// The outcome of the last reload or upgrade (`reload failed: …`, `upgraded to …`), which
    /// leads systemd's status line until the next one starts; `nil` after a reload that succeeded.
    var statusNote: String?
    /// The counters of the `metrics` control command.
    var metrics = MasterMetrics()
    /// The control socket and its clients, when a control socket was asked for.
    var controlServer: ControlServer?
    /// The executable, arguments and build an in-place upgrade starts from.
    let upgradeContext: UpgradeContext
    /// Where an in-place upgrade is: idle, or its check run under way.
    var upgrade: UpgradeProgress = .idle
    /// When the master started (its first image, for a master upgraded in place).
    let startedAt: MonotonicInstant
    /// The build of the master's previous image, when this one took over from it.
    var adoptedFrom: String?
    /// Whether pages mapped by the start or a reload wait to be released (``StartupPages``)
    /// once the master is settled: running, no reload or upgrade under way.
    var startupPagesPending = true

    /// Prepares the process to supervise: signal dispositions and mask, the signalfd,
    /// the master-alive pipe, descriptor limit and process title. Nothing is forked yet.
    ///
    /// With `state`, the process is the master's new image after an in-place upgrade: it
    /// takes over the listeners, control socket, shared memory and workers the record hands
    /// it instead of creating them, then opens and closes listeners as the new
    /// configuration says, as a reload does.
    init(services: [ServiceRegistration], hooks: Hooks, configuration: ManagerConfiguration,
         listenersFromCode: [String: ListenerConfiguration], loadConfiguration: (() throws -> ManagerConfiguration)?, settings: SettingsSource?,
         controlSocketPath: String?, upgrade: UpgradeContext, adopting state: UpgradeState? = nil, logger: Logger) throws(CotyledonError) {
        self.pools = services.map(ServicePool.init(service:))
        self.hooks = hooks
        self.configuration = configuration
        self.loadConfiguration = loadConfiguration
        self.upgradeContext = upgrade
        self.startedAt = state.map { MonotonicInstant(nanoseconds: $0.masterStartedAt) } ?? .now
        // Mapped before the first fork, so that every worker shares its pages.
        let published = try settings.map { source throws(CotyledonError) in try PublishedSettings(source) }
        self.logger = logger
        // First, so that they get the lowest free numbers: workers number their pipes after them.
        let table: ListenerTable
        let systemdListeners = state == nil ? try Listeners.fromEnvironment(logger: logger) : .none
        do {
            if let state {
                table = try Self.adoptListeners(of: state, declared: configuration.listeners, declaredInCode: listenersFromCode, logger: logger)
            } else {
                table = try ListenerTable(systemd: systemdListeners, declared: configuration.listeners,
                                          declaredInCode: listenersFromCode, logger: logger)
            }
        } catch {
            throw .listenerUnavailable(name: error.name, address: "\(error.address)", reason: "\(error.problem) — \(error.fix)")
        }
        listenerTable = table
        // A start that fails from here on closes the listeners and removes their unix
        // sockets' files, as an exit does.
        var started = false
        defer { if !started { table.closeAll() } }
        DaemonLogLevel.install(configuration.logLevel, adopting: state?.logLevel)
        self.notifier = try SystemdNotifier(logger: logger)
        lifecycle = state.map { .adoptedUpgrade(reloadQueued: $0.reloadQueued) } ?? .start(deadline: configuration.startupTimeout.map { .now + $0 })
        deadlines.update(.startup, to: lifecycle.startupDeadline)
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
            // After an upgrade the mask survived the execve, and so did the signals that
            // arrived meanwhile: the new signalfd reads them.
            let handled = SignalSet(Self.handledSignals)
            try handled.block()
            signals = try SignalFileDescriptor(handled)
            events = try EventPoll()
            try events.add(signals.descriptor, token: Self.signalToken)
        } catch {
            throw .systemCallFailed(call: "signalfd/epoll", errno: error)
        }
        let masterAlive: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        if let state {
            masterAlive = (FileDescriptor(rawValue: state.masterAlive.readEnd), FileDescriptor(rawValue: state.masterAlive.writeEnd))
            UpgradeHandover.closeOnExec([state.masterAlive.readEnd, state.masterAlive.writeEnd])
        } else {
            do {
                masterAlive = try Syscall.pipe()
            } catch {
                throw .systemCallFailed(call: "pipe2", errno: error)
            }
        }
        let raised = FileDescriptorLimit.raiseToHardLimit()
        let heartbeats = state.map { Self.adoptHeartbeatBoard(of: $0, logger: logger) } ?? HeartbeatBoard()
        forkContext = ForkContext(masterPID: getpid(), listeners: listenerTable.listeners, masterAlive: masterAlive,
                                  descriptorLimit: state.map { FileDescriptorLimit(originalSoftLimit: rlim_t($0.descriptorLimit.soft)) } ?? raised,
                                  heartbeats: heartbeats, settings: published)
        if let state {
            try takeOverControlSocket(of: state, path: controlSocketPath)
        } else if let controlSocketPath {
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
        if let state { adoptWorkers(of: state) }
        started = true
    }

    /// The services, in registration order.
    var services: [ServiceRegistration] {
        pools.map(\.service)
    }

    /// Supervises until a stop completes, then exits the process.
    func run() -> Never {
        if adoptedFrom != nil {
            // The previous image's last ping may be old: systemd hears from this one first.
            notifier.watchdogPing()
        }
        let summary = services.map { "\($0.name):\($0.desiredWorkers)" }.joined(separator: ",")
        logger.info("master process started", metadata: ["event": .event(.masterStarted), "pid": "\(forkContext.masterPID)", "services": "\(summary)",
                                                         "build": "\(upgradeContext.build)"])
        if !children.procShowsOwnPidNamespace {
            logger.warning("/proc shows another pid namespace than the master's: orphans it adopts are reaped but not stopped with it; mount a /proc for the namespace (unshare --mount-proc; container runtimes do)",
                           metadata: ["event": .event(.procForeign)])
        }
        if adoptedFrom == nil {
            notifier.send("MAINPID=\(forkContext.masterPID)", "STATUS=starting \(summary)")
        }
        updateFileDescriptorStore()
        if let control = controlServer?.socket {
            logger.info("control socket listening at \(control.path)", metadata: ["event": .event(.controlListening), "path": "\(control.path)"])
        }
        deadlines.update(.watchdogPing, to: notifier.watchdogInterval.map { .now + $0 })
        scheduleHealthChecks()
        if adoptedFrom != nil { rollAdoptedWorkers() }
        spawnMissingWorkers()
        while true {
            publishStatus()
            if !lifecycle.isSupervising, children.workers.isEmpty, children.upgradeCheck == nil {
                exitMaster()
            }
            waitAndHandleEvents()
            fireDueDeadlines()
            executePassedUpgrade()
            spawnMissingWorkers()
            releaseStartupPagesWhenSettled()
        }
    }

    /// Once the master is settled after its start (every initial worker ready: each has mapped
    /// what it shares with the master) or a reload, unmaps the pages of files only the master
    /// mapped meanwhile: the loader's tables, parsing and validating the configuration.
    private func releaseStartupPagesWhenSettled() {
        guard startupPagesPending, case .running(reload: nil) = lifecycle, case .idle = upgrade else { return }
        startupPagesPending = false
        let released = StartupPages.release()
        logger.debug("released \(released / 1024) KiB of start-up pages", metadata: ["event": .event(.startupPagesReleased), "bytes": "\(released)"])
    }

    // MARK: - Waiting

    private func waitAndHandleEvents() {
        notifier.watchSocketWhileBackedUp(with: events, token: Self.notifyToken)
        refreshComponentDeadlines()
        let ready: [EventPoll.Event]
        do {
            ready = try events.wait(timeout: reapBacklog ? 0 : deadlines.pollTimeout(now: .now))
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
            } else if event.token == Self.upgradeCheckToken {
                readCheckOutput()
            } else if event.token >= ControlServer.clientTokenBase {
                controlServer?.serviceClient(token: event.token, events: event.events)
            } else if let worker = children.workers[pid_t(truncatingIfNeeded: event.token)] {
                readMessages(from: worker)
            }
        }
        if signalsArrived {
            handleSignals()
        } else if reapBacklog {
            reapChildren()
        }
    }

    /// Copies into ``deadlines`` the next deadlines of the components that keep their own
    /// timers (the notifier and the control clients), which anything may have moved.
    private func refreshComponentDeadlines() {
        deadlines.update(.notifier, to: notifier.nextDeadline)
        deadlines.update(.controlClients, to: controlServer?.nextDeadline)
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
                if case .starting = lifecycle { startupTimedOut() }
            case .watchdogPing:
                pingWatchdog(now: now)
            case .heartbeatCheck:
                checkHeartbeats(now: now)
                healthChecked = true
            case .lifetimeCheck:
                if lifecycle.isSupervising { recycleWorkersPastLifetime(now: now) }
                healthChecked = true
            case .notifier:
                notifier.sendDue(now: now)
            case .controlClients:
                controlServer?.serviceClients(now: now)
            case .respawn(let slot):
                pools[slot.service.rawValue].slotMayBeEmpty()
            case .rollReadiness(let service):
                let pool = pools[service.rawValue]
                guard let roll = pool.roll else { continue }
                abortRoll(of: pool, because: "\(pool.service.name) worker(\(roll.current?.workerID ?? -1)) was not ready within \(pool.service.configuration.readinessTimeout)")
            case .killWorker(let pid):
                guard let worker = children.workers[pid] else { continue }
                logger.warning("\(worker.label) did not stop in time: sending SIGKILL to its process group",
                               metadata: workerFields(worker, event: .stopTimeout))
                worker.sendToGroup(.kill)
            case .killLeftoverGroup(let group):
                killLeftoverGroup(group)
            case .upgradeCheck:
                upgradeCheckTimedOut()
            }
        }
        // Both checks are re-armed from now when either was due.
        if healthChecked { scheduleHealthChecks() }
    }

    // MARK: - Status

    /// `printer 4/4 ready, 2 restarts; web 2/2 ready`, for systemd's status line.
    func statusText() -> String {
        pools.map { pool in
            "\(pool.service.name) \(pool.readyCount)/\(pool.service.desiredWorkers) ready"
                + (pool.restarts > 0 ? ", \(pool.restarts) restart\(pool.restarts == 1 ? "" : "s")" : "")
        }.joined(separator: "; ")
    }

    /// systemd's status line while the master supervises: the outcome of the last reload or
    /// upgrade (``statusNote``), then ``statusText()``.
    func statusLine() -> String {
        (statusNote.map { "\($0); " } ?? "") + statusText()
    }

    /// Tells systemd the reload or upgrade under way is over (`READY=1`), with `outcome` leading
    /// its status line until the next reload or upgrade starts: a failure stays visible in
    /// `systemctl status` after the pool settled, rather than for one status update.
    func reportOperationOver(outcome: String?) {
        statusNote = outcome
        notifier.ready(status: statusLine())
    }

    /// Hands systemd's status line to the notifier, which sends it when it changed (rate-limited).
    private func publishStatus() {
        guard notifier.isEnabled else { return }
        switch lifecycle {
        case .starting, .running:
            notifier.updateStatus(statusLine(), now: .now)
        case .stopping(_, let cause):
            notifier.updateStatus((cause.statusPrefix.map { "\($0); " } ?? "") + "stopping: \(children.workers.count) workers left", now: .now)
        }
    }

    /// Runs one hook, logging it by `kind` and `name` if it throws.
    func runHook(_ kind: String, _ name: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            logger.error("\(kind) hook \"\(name)\" failed: \(error)",
                         metadata: ["event": .event(.hookFailed), "hook": "\(kind)", "name": "\(name)"])
        }
    }

    /// The log fields naming `worker`, with `event`.
    func workerFields(_ worker: WorkerRecord, event: LogEventName) -> Logger.Metadata {
        ["event": .event(event), "service": "\(worker.service.name)", "worker": "\(worker.workerID)", "pid": "\(worker.pid)"]
    }
}
