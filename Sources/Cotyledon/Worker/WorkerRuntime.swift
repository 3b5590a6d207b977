import Dispatch
import Glibc
import Logging

/// Runs one ``Service`` in a worker process: creates it, reports readiness, maps the
/// master's signals to `terminate()`/`reload()`, and exits when the service is done.
///
/// | worker gets | does |
/// |---|---|
/// | SIGTERM | `terminate()`, waits for `run()` to return, exits 0 |
/// | SIGINT, SIGQUIT | exits 0 at once (the master's fast stop) |
/// | SIGHUP | `reload()` |
/// | master gone (pipe EOF or parent-death SIGTERM) | `terminate()` with ``orphanGracePeriod``, then kills its process group |
@MainActor
final class WorkerRuntime {
    /// How long a worker whose master died gets to finish before it kills its own group:
    /// nobody else enforces a timeout then.
    nonisolated static let orphanGracePeriod: DispatchTimeInterval = .milliseconds(500)

    private let launch: WorkerLaunch
    private let descriptors: (messages: Int32, masterAlive: Int32)
    private var logger: Logger
    private var service: Service?
    private var runTask: Task<Void, Never>?
    private var signalSources: [DispatchSourceSignal] = []
    private var masterWatch: DispatchSourceRead?
    private var isTerminating = false
    private var isOrphaned = false
    private var sentReady = false

    init(launch: WorkerLaunch) {
        self.launch = launch
        self.descriptors = WorkerProcess.descriptors(listeners: launch.listeners)
        var logger = launch.logger
        logger[metadataKey: "service"] = "\(launch.service.name)"
        logger[metadataKey: "worker"] = "\(launch.workerID)"
        self.logger = logger
    }

    /// The sockets systemd passed to the master.
    var listeners: Listeners { launch.listeners }

    private var label: String { "\(launch.service.name) worker(\(launch.workerID))" }

    /// Installs signal handling, creates the service and starts `run()`.
    func start() {
        watchSignals()
        watchMaster()
        let service: Service
        do {
            service = try launch.service.makeService(launch.workerID)
        } catch {
            logger.error("\(label) could not be created: \(error)", metadata: ["event": "run-failed", "error": "\(error)"])
            finish(status: 1)
        }
        service.runtime = self
        self.service = service
        for hook in launch.newWorkerHooks {
            do {
                try hook.body(launch.service.id, launch.workerID, service)
            } catch {
                logger.error("new-worker hook \"\(hook.name)\" failed: \(error)",
                             metadata: ["event": "hook-failed", "hook": "new-worker", "name": "\(hook.name)"])
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
        if isTerminating {
            if let error, !(error is CancellationError) {
                logger.notice("\(label) run() threw while stopping: \(error)", metadata: ["event": "run-stopped-with-error"])
            }
            return
        }
        if let error {
            logger.error("\(label) run() failed: \(error)", metadata: ["event": "run-failed", "error": "\(error)"])
            finish(status: 1)
        }
        logger.info("\(label) run() returned; the worker stays idle until it is stopped", metadata: ["event": "run-returned"])
    }

    private func beginTermination() {
        guard !isTerminating else { return }
        isTerminating = true
        guard let service else { finish(status: 0) }
        service.stopToken.requestStop()
        logger.info("\(label) terminating", metadata: ["event": "worker-terminate"])
        Task {
            await service.terminate()
            await self.runTask?.value
            self.finish(status: 0)
        }
    }

    private func reload() {
        guard !isTerminating, let service else { return }
        logger.info("\(label) reloading", metadata: ["event": "worker-reload"])
        Task { await service.reload() }
    }

    private func masterGone() {
        guard !isOrphaned else { return }
        isOrphaned = true
        logger.warning("\(label): master process is gone; stopping", metadata: ["event": "orphaned"])
        Self.armOrphanDeadline()
        beginTermination()
    }

    /// Exits; an orphan takes what it started with it (its process group).
    private func finish(status: Int32) -> Never {
        if isOrphaned { kill(0, SIGKILL) }
        exit(status)
    }

    // MARK: - Watching signals and the master

    private func watchSignals() {
        let handlers: [(Int32, @MainActor (WorkerRuntime) -> Void)] = [
            (SIGTERM, { runtime in
                if getppid() != runtime.launch.masterPID { runtime.masterGone() } else { runtime.beginTermination() }
            }),
            (SIGINT, { runtime in runtime.finish(status: 0) }),
            (SIGQUIT, { runtime in runtime.finish(status: 0) }),
            (SIGHUP, { runtime in runtime.reload() }),
        ]
        for (number, handler) in handlers {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler { [unowned self] in
                MainActor.assumeIsolated { handler(self) }
            }
            source.resume()
            signalSources.append(source)
        }
        SignalSet([.terminate, .interrupt, .quit, .hangup]).unblockIgnoringErrors()
    }

    /// Watches the master-alive pipe on a global queue, so a worker whose main actor is
    /// stuck still notices and enforces its deadline.
    private func watchMaster() {
        let descriptor = descriptors.masterAlive
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: .global())
        // `cancel()` is thread-safe; Dispatch's overlay just does not declare sources Sendable.
        nonisolated(unsafe) let cancellable = source
        // An explicit @Sendable closure: it runs on a global queue, not the main actor.
        source.setEventHandler { @Sendable in
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            guard count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) else { return }
            cancellable.cancel()
            WorkerRuntime.armOrphanDeadline()
            DispatchQueue.main.async {
                MainActor.assumeIsolated { self.masterGone() }
            }
        }
        source.resume()
        masterWatch = source
    }

    /// After ``orphanGracePeriod`` the worker's whole process group is killed.
    private nonisolated static func armOrphanDeadline() {
        DispatchQueue.global().asyncAfter(deadline: .now() + orphanGracePeriod) {
            kill(0, SIGKILL)
        }
    }

    private func send(_ message: WorkerMessage) {
        var byte = message.rawValue
        _ = write(descriptors.messages, &byte, 1)
    }
}

extension SignalSet {
    /// Unblocks the set in the calling thread; failure leaves the signals pending, never lost.
    func unblockIgnoringErrors() {
        try? unblock()
    }
}
