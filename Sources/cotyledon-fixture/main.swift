import Cotyledon
import CotyledonConfiguration
import Glibc
import Logging

// `cotyledon-fixture settings --config PATH`: typed settings from a file, read by the master only.
// `cotyledon-fixture SCENARIO [--workers N] [--graceful-timeout SECONDS] [--startup-timeout SECONDS]
//  [--min-uptime SECONDS] [--max-restarts N] [--restart-window SECONDS]`: small daemons
// for the integration tests (hooks, failures, API misuse).
// `cotyledon-fixture listeners [--config PATH] [--listen NAME=ADDRESS]… [--control-socket PATH]
//  [--build-version VERSION] [--never-ready] [--thread-before-run] [--sidecar-pid-file PATH]`: the
// answerer service on master-owned listeners, reporting VERSION as its build's version; with
// --never-ready its workers never serve nor report ready (a build to upgrade to that must be rolled
// back); --thread-before-run starts a thread before run(), which refuses it; --sidecar-pid-file
// starts `sleep` before run() and writes its pid to PATH (what a program's own child inherits);
// --with-fixture-service also runs one worker of the fixture service; --chdir-before-run changes
// the working directory to / after the manager is created. Misuse exits 70 with the
// library's error message on stderr.

fixtureMainThread = pthread_self()
let arguments = Array(CommandLine.arguments.dropFirst())
guard let scenario = arguments.first else {
    emit("usage: cotyledon-fixture SCENARIO [--workers N] [--graceful-timeout SECONDS]")
    exit(64)
}
@MainActor func option(_ name: String, default value: Double) -> Double {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
          let parsed = Double(arguments[index + 1]) else { return value }
    return parsed
}
let workers = Int(option("--workers", default: 2))
let gracefulTimeout = Duration.seconds(option("--graceful-timeout", default: 60))
let startupTimeout = Duration.seconds(option("--startup-timeout", default: 90))
let restartPolicy = RestartPolicy(
    minimumUptime: .seconds(option("--min-uptime", default: 1)),
    maximumRestarts: Int(option("--max-restarts", default: Double(RestartPolicy.default.maximumRestarts))),
    restartWindow: .seconds(option("--restart-window", default: 60)))

LoggingSystem.bootstrap { _ in CotyledonLogHandler() }

/// `--config PATH` for the slow-ready scenario: the file's settings at start and on reload.
@MainActor func configuration(at path: String) throws(ConfigurationError) -> ManagerConfiguration {
    try ConfigurationFile.load(ManagerConfiguration.self, from: path) { loaded throws(ConfigurationError) in
        try loaded.validate(knownServices: [SlowStartingService.name])
    }
}

func fail(_ error: Error) -> Never {
    var bytes = Array("cotyledon-fixture: error: \(error)\n".utf8)
    _ = write(STDERR_FILENO, &bytes, bytes.count)
    exit(MasterExitCode.software.rawValue)
}

if scenario == "misuse-threads-top-level" {
    // As a daemon's main.swift does: no do/catch around run(), a thread started before it.
    let manager = try! ServiceManager()
    try! manager.add(FixtureService.self, workers: 1)
    ThreadStarter.startIdleThread()
    manager.run()
}

do {
    if scenario == "settings", let index = arguments.firstIndex(of: "--config"), index + 1 < arguments.count {
        // Only the master loads the file; the greeters read `settings`.
        let path = arguments[index + 1]
        let manager = try ServiceManager(settings: try GreeterSettings.load(from: path)) { try GreeterSettings.load(from: path) }
        try manager.add(GreeterService.self)
        manager.run()
    }
    if scenario == "slow-ready", let index = arguments.firstIndex(of: "--config"), index + 1 < arguments.count {
        let path = arguments[index + 1]
        let manager = try ServiceManager(configuration: try configuration(at: path))
        try manager.add(SlowStartingService.self)
        manager.reloadConfiguration { try configuration(at: path) }
        manager.run()
    }
    if scenario == "listeners" {
        // `--config PATH` (listeners and services from the file, read again on reload) and
        // any number of `--listen NAME=ADDRESS` (ServiceManager.addListener); `--control-socket PATH`.
        let path = arguments.firstIndex(of: "--config").map { arguments[$0 + 1] }
        let inCode = arguments.indices.filter { arguments[$0] == "--listen" && $0 + 1 < arguments.count }.map {
            arguments[$0 + 1].split(separator: "=", maxSplits: 1).map(String.init)
        }
        let load = { () throws -> ManagerConfiguration in
            guard let path else { return ManagerConfiguration() }
            return try ConfigurationFile.load(ManagerConfiguration.self, from: path) { loaded throws(ConfigurationError) in
                try loaded.validate(knownServices: [AnsweringService.name], knownListeners: inCode.map { $0[0] })
            }
        }
        let controlSocket = arguments.firstIndex(of: "--control-socket").map { arguments[$0 + 1] }
        let manager = try ServiceManager(configuration: try load(), restartPolicy: restartPolicy, controlSocket: controlSocket)
        manager.version = arguments.firstIndex(of: "--build-version").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        AnsweringService.isNeverReady = arguments.contains("--never-ready")
        if let pidFile = arguments.firstIndex(of: "--sidecar-pid-file").map({ arguments[$0 + 1] }) {
            let sidecar = try Spawn.run(["/bin/sleep", "600"])
            let text = "\(sidecar)\n"
            let fd = open(pidFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if fd >= 0 {
                _ = text.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
        }
        if arguments.contains("--thread-before-run") { ThreadStarter.startIdleThread() }
        if arguments.contains("--chdir-before-run") { _ = chdir("/") }
        for parts in inCode {
            try manager.addListener(parts[0], try ListenerConfiguration(parsing: parts.count > 1 ? parts[1] : ""))
        }
        try manager.add(AnsweringService.self, workers: workers)
        if arguments.contains("--with-fixture-service") { try manager.add(FixtureService.self, workers: 1) }
        manager.reloadConfiguration(with: load)
        manager.run()
    }
    let manager = try ServiceManager(gracefulShutdownTimeout: gracefulTimeout, restartPolicy: restartPolicy,
                                     startupTimeout: startupTimeout)
    switch scenario {
    case "crash-after-ready":
        try manager.add(CrashingService.self, workers: workers)
    case "crash-before-ready":
        try manager.add(name: CrashingService.name, workers: workers, readiness: .explicit) { CrashingService(workerID: $0) }
    case "class-settings":
        let greeting = "hello"
        try manager.add(ClassSettingsService.self, workers: workers) { ClassSettingsService(workerID: $0, greeting: greeting) }
    case "ignore-term":
        try manager.add(StubbornService.self, workers: workers)
    case "grandchildren":
        try manager.add(TreeService.self, workers: workers)
    case "escaping-tree":
        try manager.add(EscapingTreeService.self, workers: workers)
    case "stubborn-tree":
        try manager.add(StubbornTreeService.self, workers: workers)
    case "spin":
        try manager.add(SpinningService.self, workers: workers)
    case "adopt-orphan":
        try manager.add(OrphaningService.self, workers: workers)
    case "child-dies-on-stop":
        try manager.add(ChildWaitingService.self, workers: workers)
    case "hooks":
        try manager.add(FixtureService.self, workers: workers)
        struct HookFailure: Error {}
        manager.registerHooks(name: "failing", onTerminate: { throw HookFailure() })
        manager.registerHooks(
            name: "fixture",
            onTerminate: { emit("hook=terminate") },
            onReload: { emit("hook=reload") },
            onNewWorker: { service, workerID, _ in emit("hook=new-worker service=\(service) id=\(service.id) worker=\(workerID)") },
            onDeadWorker: { service, workerID, status in
                emit("hook=dead-worker service=\(service.name) id=\(service.id) worker=\(workerID) status=\(status.token)")
            })
    case "throwing":
        try manager.add(ThrowingService.self, workers: workers)
    case "reconfigure-from-hook":
        // The first worker death grows the pool to 3 from inside the master's hook.
        let id = try manager.add(FixtureService.self, workers: 1)
        manager.registerHooks(name: "grow", onDeadWorker: { _, _, _ in
            try manager.reconfigure(id, workers: 3)
        })
    case "blocking":
        try manager.add(BlockingService.self, workers: workers)
    case "idle":
        try manager.add(IdleService.self, workers: workers)
    case "idle-beside-hung":
        try manager.add(IdleService.self, workers: workers)
        try manager.add(HungBeaterService.self, workers: 1)
    case "probe":
        try manager.add(ProbeService.self, workers: workers)
    case "parallel":
        try manager.add(ParallelService.self, workers: workers)
    case "block-main":
        try manager.add(MainBlockingService.self, workers: workers)
    case "deaf-block-main":
        try manager.add(DeafMainBlockingService.self, workers: workers)
    case "default-reload":
        try manager.add(RestartingService.self, workers: workers)
    case "never-ready":
        try manager.add(NeverReadyService.self, workers: workers)
    case "hanging-terminate":
        try manager.add(HangingService.self, workers: workers)
    case "blocking-terminate":
        try manager.add(BlockingTerminateService.self, workers: workers)
    case "pending-terminate":
        try manager.add(PendingTerminateService.self, workers: workers)
    case "misuse-zero-workers":
        try manager.add(FixtureService.self, workers: 0)
    case "misuse-unknown-service":
        try manager.add(FixtureService.self, workers: 1)
        try manager.reconfigure(ServiceID(rawValue: 7), workers: 2)
    case "misuse-run-twice":
        // The first worker death runs this hook in the master, which is already running.
        try manager.add(ThrowingService.self, workers: 1)
        manager.registerHooks(name: "run-again", onDeadWorker: { _, _, _ in
            manager.run()
        })
    case "misuse-threads":
        try manager.add(FixtureService.self, workers: 1)
        ThreadStarter.startIdleThread()
    case "misuse-add-after-run":
        try manager.add(ThrowingService.self, workers: 1)
        manager.registerHooks(name: "add-late", onDeadWorker: { _, _, _ in
            do {
                try manager.add(FixtureService.self, workers: 1)
            } catch {
                fail(error)
            }
        })
    case "misuse-second-manager":
        _ = try ServiceManager()
    case "misuse-invalid-name":
        try manager.add(name: "Fixture Service", workers: 1) { FixtureService(workerID: $0) }
    case "misuse-settings-type":
        try manager.add(GreeterService.self, workers: 1)
    case "misuse-duplicate-name":
        try manager.add(FixtureService.self, workers: 1)
        try manager.add(name: FixtureService.name, workers: 1) { FixtureService(workerID: $0) }
    default:
        emit("unknown scenario \(scenario)")
        exit(64)
    }
    manager.run()
} catch {
    fail(error)
}
