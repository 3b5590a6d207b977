import Glibc
import Logging
import Synchronization

/// Forks, supervises and respawns the workers of the services added to it.
///
/// ```swift
/// let manager = try ServiceManager()
/// try manager.add(PrinterService.self, workers: 2)
/// try manager.run()
/// ```
///
/// ``run()`` turns the calling process into the master: a single-threaded loop that
/// forks each service's workers, respawns the ones that die, and acts on signals
/// (`SIGTERM` graceful stop, `SIGINT`/`SIGQUIT` fast stop, `SIGHUP` reload,
/// `SIGTTIN`/`SIGTTOU` one worker more/fewer per service). It never returns.
///
/// - Important: the master must stay single-threaded until it forks, or workers
///   inherit locks held by threads that do not exist in them. Before ``run()``, start no
///   `Task`, Dispatch queue, SwiftNIO event loop, metrics backend or thread; do that in
///   ``Service/run()``. ``run()`` checks and throws ``CotyledonError/multiThreaded(threads:)``.
///
/// Hooks that run in the master (terminate, reload, dead worker) run synchronously
/// inside its loop: they must be quick, must not block, and must not start threads or
/// tasks. A hook that throws is logged with its name; the remaining hooks still run.
public final class ServiceManager {
    /// The largest worker count a service may have.
    public static let maximumWorkers = 10_000

    private static let exists = Atomic<Bool>(false)

    private var configuration: ManagerConfiguration
    private let restartPolicy: RestartPolicy
    private let logger: Logger
    private var services: [ServiceRegistration] = []
    /// The listeners added with ``addListener(_:_:)``, which a reload keeps; the
    /// configuration's listener of the same name wins.
    private var listenersFromCode: [String: ListenerConfiguration] = [:]
    private var hooks = Hooks()
    private var loadConfiguration: (() throws -> ManagerConfiguration)?
    /// The application's settings, for a manager created with them.
    private var settingsSource: SettingsSource?
    private let controlSocketPath: String?
    private var master: Master?
    private var runStarted = false
    /// The command line the process started with, captured before process titles overwrite it.
    private let originalArguments = CommandLine.arguments
    /// The file this process was started from, resolved when the manager is created, with
    /// the working directory of that moment.
    private let startedFrom = UpgradeExecutable.ofThisProcess(arguments: CommandLine.arguments)

    /// The executable an in-place upgrade (`SIGUSR2`, `cotyledonctl upgrade`) checks and
    /// runs; `nil` (the default): the path the daemon was started from, resolved once at
    /// start without following symbolic links, so that a deploy that replaces the file at
    /// that path, or the link it is, is what runs. Set it before ``run()``.
    public var upgradeExecutable: String?

    /// The application's version (`1.4.0`), reported with the executable's build-id by
    /// `status` for the master and each worker, and checked by an in-place upgrade; set it
    /// before ``run()``. `nil`: the build-id alone identifies the build.
    public var version: String?

    /// Whether this process is the new image of an in-place upgrade: the master executed it
    /// in place, and ``run()`` will adopt the running workers. Code that runs before `run()`
    /// and exits on an error (a configuration file that no longer loads) should then exit
    /// with a status systemd restarts, such as ``MasterExitCode/upgradeHandoverFailed``,
    /// rather than one the unit's `RestartPreventExitStatus=` lists (64, 70, 78): the
    /// adopted workers exit with the master, and the daemon is down until it restarts.
    public static var isTakingOver: Bool {
        getenv(UpgradeHandover.stateVariable) != nil
    }

    /// How `status` names the build of this executable with `version`: `1.4.0 (build
    /// 3f2a9c1b7d4e)`, the build-id being the first 12 hexadecimal digits of the GNU build-id
    /// the linker wrote into the executable. For a `--version` option.
    public static func buildIdentity(version: String?) -> String {
        BuildIdentity.ofThisExecutable(version: version).description
    }

    /// Creates the process's only manager.
    ///
    /// - Parameters:
    ///   - gracefulShutdownTimeout: how long workers get to stop after `SIGTERM` before
    ///     they are killed, unless their service says otherwise.
    ///   - restartPolicy: when dead workers are respawned, for services added without a
    ///     ``ServiceConfiguration``.
    ///   - startupTimeout: how long the initial workers get to all report ready; when
    ///     it expires the master says why (log, systemd `STATUS=`), stops, and exits 69.
    ///     `nil` waits forever.
    ///   - controlSocket: where the master serves its control socket (see
    ///     ``defaultControlSocketPath(program:)``); `nil`: no control socket.
    ///   - logger: where the master and workers log their events.
    /// - Throws: ``CotyledonError/secondManager`` if this process already created one.
    public convenience init(
        gracefulShutdownTimeout: Duration = ManagerConfiguration.defaultGracefulShutdownTimeout,
        restartPolicy: RestartPolicy = .default,
        startupTimeout: Duration? = ManagerConfiguration.defaultStartupTimeout,
        controlSocket: String? = nil,
        logger: Logger = Logger(label: "cotyledon")
    ) throws(CotyledonError) {
        try self.init(
            configuration: ManagerConfiguration(gracefulShutdownTimeout: gracefulShutdownTimeout, startupTimeout: startupTimeout),
            restartPolicy: restartPolicy, controlSocket: controlSocket, logger: logger)
    }

    /// Creates the process's only manager from a configuration (typically loaded with
    /// `ConfigurationFile.load(_:from:maximumSize:validate:)` of the `CotyledonConfiguration`
    /// module). Services take their settings from
    /// `configuration.services` by name when they are added.
    ///
    /// Standard input, output or error that the process was started without (closed) are
    /// opened on `/dev/null` first, so that no descriptor of the manager takes their place.
    ///
    /// - Parameters:
    ///   - configuration: manager-level settings and per-service settings by name.
    ///   - restartPolicy: for services the configuration does not name.
    ///   - controlSocket: where the master serves its control socket (see
    ///     ``defaultControlSocketPath(program:)``); `nil`: no control socket.
    ///   - logger: where the master and workers log their events; its level is set from
    ///     `configuration.logLevel`.
    /// - Throws: ``CotyledonError/secondManager`` if this process already created one.
    public init(
        configuration: ManagerConfiguration, restartPolicy: RestartPolicy = .default,
        controlSocket: String? = nil, logger: Logger = Logger(label: "cotyledon")
    ) throws(CotyledonError) {
        // First of all: a daemon started with descriptors 0, 1 or 2 closed would otherwise
        // take them for its own (the signalfd, epoll, pipes) and its workers inherit them
        // as their standard output and error.
        StandardDescriptors.openClosedOnDevNull()
        self.controlSocketPath = controlSocket
        guard ServiceManager.exists.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw .secondManager
        }
        self.configuration = configuration
        self.restartPolicy = restartPolicy
        var logger = logger
        logger.logLevel = configuration.logLevel
        self.logger = logger
    }

    /// Creates the process's only manager from the daemon's whole configuration: its
    /// supervisor part (``DaemonSettings/manager``) and the application's settings, which
    /// every worker of a ``SettingsService`` reads as ``SettingsService/settings``.
    ///
    /// ```swift
    /// func load() throws -> GreeterSettings {
    ///     try ConfigurationFile.load(GreeterSettings.self, from: path) { loaded throws(ConfigurationError) in
    ///         do throws(ConfigurationError) { try loaded.manager.validate(knownServices: ["greeter"]) } catch { throw error.nested(under: ["manager"]) }
    ///     }
    /// }
    /// let manager = try ServiceManager(settings: try load(), reload: load)
    /// ```
    ///
    /// Only the master loads the settings, at start (the caller) and on reload (`reload`).
    /// Workers get exactly the value it validated: a worker forked afterwards inherits it,
    /// and a worker that reloads in place reads it from memory shared with the master just
    /// before its ``Service/reload()`` runs. When `reload` throws, nothing changes anywhere.
    ///
    /// - Parameters:
    ///   - settings: the validated settings at start.
    ///   - reload: loads and validates the settings again, in the master, at every reload:
    ///     synchronously (read a file; start no thread). What it throws fails the reload
    ///     as a whole, as do settings larger than 4 MiB once encoded.
    ///   - restartPolicy: for services the configuration does not name.
    ///   - controlSocket: where the master serves its control socket; `nil`: none.
    ///   - logger: where the master and workers log their events; its level is set from
    ///     `settings.manager.logLevel`.
    /// - Throws: ``CotyledonError/invalidSettings(_:)`` when the settings cannot be
    ///   encoded for the workers, ``CotyledonError/secondManager`` if this process already
    ///   created a manager.
    public convenience init<Settings: DaemonSettings>(
        settings: Settings, reload: @escaping () throws -> Settings, restartPolicy: RestartPolicy = .default,
        controlSocket: String? = nil, logger: Logger = Logger(label: "cotyledon")
    ) throws(CotyledonError) {
        let initial: SettingsSnapshot
        do {
            initial = try SettingsSnapshot(settings)
        } catch {
            throw .invalidSettings(error.description)
        }
        try self.init(configuration: settings.manager, restartPolicy: restartPolicy, controlSocket: controlSocket, logger: logger)
        settingsSource = SettingsSource(initial: initial, type: Settings.self, load: { try reload() })
    }

    /// Adds a service whose workers are created with `S(workerID:)`.
    ///
    /// When the manager's configuration has an entry named ``Service/name``, it supplies
    /// every setting and `workers` and `gracefulShutdownTimeout` are not used.
    ///
    /// - Parameters:
    ///   - type: the ``Service`` subclass; its class settings (``Service/name``,
    ///     ``Service/readiness``, ``Service/reloadsInPlace``, ``Service/heartbeatTimeout``,
    ///     ``Service/gracefulShutdownTimeout``, ``Service/concurrency``) apply.
    ///   - workers: how many workers to keep alive, `1...maximumWorkers`.
    ///   - gracefulShutdownTimeout: overrides the class's and the manager's timeout.
    /// - Returns: the id to pass to ``reconfigure(_:workers:)``.
    @discardableResult
    public func add<S: WorkerIDInitializable>(
        _ type: S.Type, workers: Int = 1, gracefulShutdownTimeout: Duration? = nil
    ) throws(CotyledonError) -> ServiceID {
        try add(type, workers: workers, gracefulShutdownTimeout: gracefulShutdownTimeout) { workerID in
            type.init(workerID: workerID)
        }
    }

    /// Adds a service whose workers are built by a closure, for services that need more
    /// than their worker id: `add(KVService.self, workers: 3) { KVService(workerID: $0, store: store) }`.
    ///
    /// Every class setting of `type` applies (``Service/name``, ``Service/readiness``,
    /// ``Service/reloadsInPlace``, ``Service/heartbeatTimeout``,
    /// ``Service/gracefulShutdownTimeout``, ``Service/concurrency``), and `type` needs no `init(workerID:)`. The closure
    /// runs in each worker process, after the fork, on the main actor. When the manager's
    /// configuration has an entry named ``Service/name``, it supplies every setting and
    /// `workers` and `gracefulShutdownTimeout` are not used.
    ///
    /// - Parameters:
    ///   - type: the ``Service`` subclass the closure builds.
    ///   - workers: how many workers to keep alive, `1...maximumWorkers`.
    ///   - gracefulShutdownTimeout: overrides the class's and the manager's timeout.
    ///   - makeService: builds the service for a worker id; a thrown error counts as a crash.
    /// - Returns: the id to pass to ``reconfigure(_:workers:)``.
    @discardableResult
    public func add<S: Service>(
        _ type: S.Type, workers: Int = 1, gracefulShutdownTimeout: Duration? = nil,
        makeService: @escaping @MainActor (_ workerID: Int) throws -> S
    ) throws(CotyledonError) -> ServiceID {
        if let reader = type as? any SettingsReceiving.Type {
            try checkSettingsType(reader.settingsType, service: type.name)
        }
        return try add(name: type.name, workers: workers,
                gracefulShutdownTimeout: gracefulShutdownTimeout ?? type.gracefulShutdownTimeout,
                readiness: type.readiness, reloadsInPlace: type.reloadsInPlace,
                heartbeatTimeout: type.heartbeatTimeout, concurrency: type.concurrency, makeService: makeService)
    }

    /// Adds a service built by a closure, with every setting given here rather than read
    /// from a class (for a service type shared by several services, or built by a library
    /// such as `CotyledonServiceLifecycle`).
    ///
    /// The closure runs in each worker process, after the fork, on the main actor. When
    /// the manager's configuration has an entry named `name`, it supplies the settings.
    ///
    /// - Parameters:
    ///   - name: the name in process titles, logs and the configuration file: only `a-z`,
    ///     `0-9`, `_` and `-`, and not a name already added.
    ///   - workers: how many workers to keep alive, `1...maximumWorkers`.
    ///   - gracefulShutdownTimeout: how long workers get to stop; `nil` for the manager's.
    ///   - readiness: when a worker counts as ready.
    ///   - reloadsInPlace: whether a reload calls `reload()` in the workers instead of
    ///     rolling them (see ``Service/reloadsInPlace``).
    ///   - heartbeatTimeout: hung-worker detection (see ``Service/heartbeatTimeout``).
    ///   - concurrency: where the workers run their tasks (see ``Service/concurrency``).
    ///   - makeService: builds the service for a worker id; a thrown error counts as a crash.
    /// - Returns: the id to pass to ``reconfigure(_:workers:)``.
    @discardableResult
    public func add(
        name: String, workers: Int = 1, gracefulShutdownTimeout: Duration? = nil,
        readiness: ReadinessMode = .whenRunStarts, reloadsInPlace: Bool = false,
        heartbeatTimeout: Duration? = nil, concurrency: WorkerConcurrency = .mainThread,
        makeService: @escaping @MainActor (_ workerID: Int) throws -> Service
    ) throws(CotyledonError) -> ServiceID {
        guard !runStarted else { throw .addAfterRun(service: name) }
        guard ServiceName.isValid(name) else { throw .invalidServiceName(name) }
        guard !services.contains(where: { $0.name == name }) else { throw .duplicateServiceName(name) }
        let settings = configuration.services[name]
            ?? ServiceConfiguration(workers: workers, gracefulShutdownTimeout: gracefulShutdownTimeout, restart: restartPolicy)
        try Self.validate(workers: settings.workers, service: name)
        do {
            try settings.checkRules()
        } catch {
            throw .invalidConfiguration(service: name, problem: "\(error)")
        }
        let id = ServiceID(rawValue: services.count)
        services.append(ServiceRegistration(
            id: id, name: name, configuration: settings,
            defaultGracefulShutdownTimeout: configuration.gracefulShutdownTimeout,
            readiness: readiness, reloadsInPlace: reloadsInPlace, heartbeatTimeout: heartbeatTimeout,
            concurrency: concurrency, makeService: makeService))
        return id
    }

    /// Declares a listening socket the master opens before it forks: the workers of the
    /// services that use it (``ServiceConfiguration/listeners``; by default every service)
    /// find it as `listeners[name]` in ``Service/listeners``, at the same descriptor number.
    ///
    /// ```swift
    /// try manager.addListener("http", try ListenerConfiguration(parsing: "127.0.0.1:8080"))
    /// ```
    ///
    /// A socket systemd passes with the same name is used instead. A listener that cannot
    /// be opened stops ``run()`` before any fork, with exit status 78.
    ///
    /// When the manager's configuration declares a listener of the same name, the
    /// configuration's settings win, at start and at every reload, as a configuration entry
    /// supplies the settings of a service added in code; a reloaded configuration that no
    /// longer declares it brings back these settings.
    ///
    /// - Parameters:
    ///   - name: its name, with the rule of service names: only `a-z`, `0-9`, `_` and `-`.
    ///   - listener: where and how it listens.
    /// - Throws: ``CotyledonError/invalidListenerName(_:)``,
    ///   ``CotyledonError/duplicateListenerName(_:)``,
    ///   ``CotyledonError/invalidListener(name:problem:)`` or
    ///   ``CotyledonError/addListenerAfterRun(_:)``.
    public func addListener(_ name: String, _ listener: ListenerConfiguration) throws(CotyledonError) {
        guard !runStarted else { throw .addListenerAfterRun(name) }
        guard ListenerConfiguration.isValidName(name) else { throw .invalidListenerName(name) }
        guard listenersFromCode[name] == nil else { throw .duplicateListenerName(name) }
        do {
            try listener.checkRules()
        } catch {
            throw .invalidListener(name: name, problem: "\(error)")
        }
        listenersFromCode[name] = listener
    }

    /// The conventional control socket path for `program`: `$RUNTIME_DIRECTORY/control.sock`
    /// under systemd (`RuntimeDirectory=`), else `/run/<program>/control.sock` for root,
    /// else `$XDG_RUNTIME_DIR/<program>/control.sock` or `/tmp/<program>-<uid>/control.sock`.
    /// ``run()`` refuses the directory if users other than the daemon's (and root) can write
    /// to it, as when another user created `/tmp/<program>-<uid>` first.
    public static func defaultControlSocketPath(program: String? = nil) -> String {
        ControlSocket.defaultPath(program: program ?? ProgramName.current)
    }

    /// Sets how a reload (SIGHUP) gets the new configuration: the closure runs in the
    /// master, synchronously (read a file; start no thread). When it throws, the reload
    /// fails as a whole: the error is logged and shown in systemd's `STATUS=`, the old
    /// settings stay and no worker is touched. Services absent from the new
    /// configuration keep their settings; a name that is not running fails the reload.
    ///
    /// A manager created with ``init(settings:reload:restartPolicy:controlSocket:logger:)``
    /// reloads with its own `reload` closure and does not use this one.
    ///
    /// - Parameter load: reads and returns the new configuration, typically with
    ///   `ConfigurationFile.load(_:from:maximumSize:validate:)` of the `CotyledonConfiguration`
    ///   module; it is called at every reload.
    public func reloadConfiguration(with load: @escaping () throws -> ManagerConfiguration) {
        loadConfiguration = load
    }

    /// Changes how many workers a service keeps alive: before ``run()``, or from a
    /// hook while running. Scaling down stops the highest worker ids gracefully.
    ///
    /// - Parameters:
    ///   - id: the service, as ``add(_:workers:gracefulShutdownTimeout:)`` returned it.
    ///   - workers: the new count, within the service's `min_workers...max_workers`.
    /// - Throws: ``CotyledonError/unknownServiceID(_:)``,
    ///   ``CotyledonError/invalidWorkerCount(service:requested:)``, or
    ///   ``CotyledonError/invalidConfiguration(service:problem:)`` for a count outside
    ///   the service's bounds.
    public func reconfigure(_ id: ServiceID, workers: Int) throws(CotyledonError) {
        guard services.indices.contains(id.rawValue) else { throw .unknownServiceID(id) }
        let service = services[id.rawValue]
        try Self.validate(workers: workers, service: service.name)
        let bounds = service.configuration.minWorkers...service.configuration.maxWorkers
        guard bounds.contains(workers) else {
            throw .invalidConfiguration(service: service.name,
                                        problem: "workers must be within min_workers...max_workers (\(bounds)), got \(workers)")
        }
        if let master {
            master.scale(service, to: workers)
        } else {
            service.desiredWorkers = workers
        }
    }

    /// Registers hooks; each list runs in registration order.
    ///
    /// - Parameters:
    ///   - name: names these hooks in the log when one throws; defaults to the call site.
    ///   - onTerminate: in the master, when a stop begins, before workers are signalled.
    ///   - onReload: in the master, on `SIGHUP`, before workers are signalled.
    ///   - onNewWorker: in the new worker process, after its service is created and
    ///     before ``Service/run()``; a throw is logged and the worker still runs. It gets
    ///     the service (``ServiceIdentity``: its id and name), the worker id and the
    ///     service instance.
    ///   - onDeadWorker: in the master, after a worker was reaped, before its respawn. It
    ///     gets the service (``ServiceIdentity``), the worker id and how the worker ended.
    public func registerHooks(
        name: String = "\(#fileID):\(#line)",
        onTerminate: (() throws -> Void)? = nil,
        onReload: (() throws -> Void)? = nil,
        onNewWorker: (@MainActor (_ service: ServiceIdentity, _ workerID: Int, _ instance: Service) throws -> Void)? = nil,
        onDeadWorker: ((_ service: ServiceIdentity, _ workerID: Int, _ status: WorkerExitStatus) throws -> Void)? = nil
    ) {
        if let onTerminate { hooks.terminate.append(NamedHook(name: name, body: onTerminate)) }
        if let onReload { hooks.reload.append(NamedHook(name: name, body: onReload)) }
        if let onNewWorker { hooks.newWorker.append(NamedHook(name: name, body: onNewWorker)) }
        if let onDeadWorker { hooks.deadWorker.append(NamedHook(name: name, body: onDeadWorker)) }
        master?.hooks = hooks
    }

    /// Becomes the master: forks the workers and supervises them until a stop signal,
    /// then exits the process (status 0 after a requested stop, see ``MasterExitCode``).
    ///
    /// It never returns and never throws. When it cannot start — called twice, from a
    /// process with more than one thread, a system call the master needs failed, the
    /// control socket cannot be created — it writes the ``CotyledonError``'s message to
    /// standard error and exits 70 (``MasterExitCode/software``); nothing was forked then.
    /// A declared listener that cannot be opened exits 78 (``MasterExitCode/configuration``)
    /// the same way, its message naming the listener, its address and the fix.
    ///
    /// In the master's new image after an in-place upgrade, any of these failures exits 71
    /// (``MasterExitCode/upgradeHandoverFailed``) instead, which systemd restarts. Code that
    /// runs before `run()` and exits on its own (a configuration file that no longer loads)
    /// chooses its own status.
    ///
    /// It cannot be called from an asynchronous context (a top-level `await`, an async
    /// `main`): one that already started the threads of the concurrency runtime, which
    /// `run()` refuses.
    @available(*, noasync, message: "run() forks: call it from synchronous code with no Task started before it, at the end of main")
    public func run() -> Never {
        do throws(CotyledonError) {
            try start()
        } catch {
            ProgramName.reportFailure("\(error)")
            if case .listenerUnavailable = error { exit(MasterExitCode.configuration.rawValue) }
            exit(MasterExitCode.software.rawValue)
        }
    }

    /// Checks that the master can start, then supervises until it exits. In the master's
    /// new image after an in-place upgrade, whatever stops the start ends the process with
    /// status 71 (``MasterExitCode/upgradeHandoverFailed``), which systemd restarts, after
    /// killing the workers it was to adopt.
    private func start() throws(CotyledonError) -> Never {
        guard !runStarted else { throw .runCalledTwice }
        let state = Self.handedOverState()
        do throws(CotyledonError) {
            try start(adopting: state)
        } catch {
            guard let state else { throw error }
            Self.failHandover("cannot take over from build \(state.build): \(error)", killing: state)
        }
    }

    private func start(adopting state: UpgradeState?) throws(CotyledonError) -> Never {
        let threads = ThreadCount.current() ?? 1
        guard threads == 1 else { throw .multiThreaded(threads: threads) }
        runStarted = true
        // The configuration's listener wins over the one added in code with its name.
        configuration.listeners = listenersFromCode.merging(configuration.listeners) { $1 }
        try checkListeners()
        let build = BuildIdentity.ofThisExecutable(version: version)
        if state == nil, getenv(UpgradeHandover.checkVariable).map({ String(cString: $0) }) == "1" {
            Self.passUpgradeCheck(build: build)
        }
        let arguments = state?.arguments ?? originalArguments
        let upgrade = UpgradeContext(executable: upgradeExecutable ?? startedFrom,
                                     arguments: arguments, build: build, checkTimeout: configuration.upgradeCheckTimeout)
        let master = try Master(services: services, hooks: hooks, configuration: configuration,
                                listenersFromCode: listenersFromCode, loadConfiguration: loadConfiguration,
                                settings: settingsSource, controlSocketPath: controlSocketPath, upgrade: upgrade,
                                adopting: state, logger: logger)
        self.master = master
        master.run()
    }

    /// Check mode (`COTYLEDON_UPGRADE_CHECK=1`, an upgrade's check run): everything
    /// ``run()`` checks passed, nothing was opened or forked; says so and exits 0.
    private static func passUpgradeCheck(build: BuildIdentity) -> Never {
        let line = Array("\(UpgradeCheck.okPrefix) build=\(build)\n".utf8)
        line.withUnsafeBytes { bytes in _ = try? Syscall.writeAll(STDOUT_FILENO, bytes) }
        exit(0)
    }

    /// The state the master's previous image handed over (`COTYLEDON_UPGRADE_STATE`), `nil`
    /// for an ordinary start; an unreadable one ends the process with status 71.
    private static func handedOverState() -> UpgradeState? {
        guard let text = UpgradeHandover.handedOverDescriptor else { return nil }
        do {
            return try UpgradeHandover.read(descriptorText: text)
        } catch {
            failHandover("cannot read the upgrade state: \(error)", killing: nil)
        }
    }

    /// Ends a new image that cannot take over: the workers it was to adopt are killed (they
    /// would exit anyway once the master-alive pipe closes), and the exit status (71) lets
    /// systemd restart the unit.
    private static func failHandover(_ message: String, killing state: UpgradeState?) -> Never {
        for worker in state?.workers ?? [] {
            Syscall.send(.kill, toGroup: worker.pid)
        }
        ProgramName.reportFailure("in-place upgrade failed: \(message)")
        exit(MasterExitCode.upgradeHandoverFailed.rawValue)
    }

    /// Checks the declared listeners' rules and that each service names only declared ones
    /// (``ManagerConfiguration/checkListenerRules(listeners:services:declared:key:servicesKey:)``).
    private func checkListeners() throws(CotyledonError) {
        let settings = Dictionary(services.map { ($0.name, $0.configuration) }) { first, _ in first }
        do {
            try ManagerConfiguration.checkListenerRules(listeners: configuration.listeners, services: settings,
                                                        declared: [])
        } catch {
            throw Self.error(for: error)
        }
    }

    /// The error of ``run()`` for a broken listener rule: about the listener or the service
    /// its key path names.
    private static func error(for violation: ConfigurationRuleViolation) -> CotyledonError {
        let keyPath = violation.keyPath
        guard keyPath.count >= 2 else { return .invalidListener(name: keyPath.first ?? "", problem: "\(violation)") }
        var detail = violation
        detail.keyPath = Array(keyPath.dropFirst(2))
        if keyPath[0] == "services" {
            detail.fix = "declare it with addListener(_:_:) or in the configuration's listeners, or remove it from the service"
            return .invalidConfiguration(service: keyPath[1], problem: "\(detail)")
        }
        guard ListenerConfiguration.isValidName(keyPath[1]) else { return .invalidListenerName(keyPath[1]) }
        return .invalidListener(name: keyPath[1], problem: "\(detail)")
    }

    /// Refuses a ``SettingsService`` reading another settings type than the manager's.
    private func checkSettingsType(_ type: any DaemonSettings.Type, service: String) throws(CotyledonError) {
        guard let settingsSource, ObjectIdentifier(type) == ObjectIdentifier(settingsSource.type) else {
            throw .settingsTypeMismatch(service: service, serviceSettings: "\(type)",
                                        managerSettings: settingsSource.map { "\($0.type)" })
        }
    }

    private static func validate(workers: Int, service: String) throws(CotyledonError) {
        guard (1...maximumWorkers).contains(workers) else {
            throw .invalidWorkerCount(service: service, requested: workers)
        }
    }
}
