import ArgumentParser
import Cotyledon
import Glibc
import Logging

/// `cotyledon-demo`: the printer daemon, supervised by a ``ServiceManager``.
struct CotyledonDemo: ParsableCommand {
    /// The demo's version. `cotyledon-demo-next` is the same source built as the next
    /// version, for trying an in-place upgrade (`cotyledonctl upgrade`) and for its tests.
    #if NEXT_BUILD
    static let version = "1.1.0-next"
    #else
    static let version = "1.0.0"
    #endif

    static let configuration = CommandConfiguration(
        commandName: "cotyledon-demo",
        abstract: "A pre-forking daemon whose printer workers print \"Doing stuff\" until stopped.",
        discussion: """
        Runs in the foreground. Signals to the master: SIGTERM graceful stop, SIGINT or \
        SIGQUIT fast stop, SIGHUP reload, SIGTTIN/SIGTTOU one printer worker more/fewer. \
        Command-line options override the configuration file, at start and at every \
        reload (SIGHUP re-reads the file, then applies the options again). \
        Exit status: 0 after a requested stop, 64 usage error, 69 workers not ready in \
        time, 70 internal error, 78 configuration error. SIGUSR2 (or cotyledonctl upgrade) \
        hands the daemon over to the executable now on disk, keeping its pid and listeners.
        """,
        version: ServiceManager.buildIdentity(version: version))

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "YAML configuration file (see config/cotyledon-demo.yaml); read at start and at every SIGHUP.",
        valueName: "path"))
    var config: String?

    @Option(name: .long, parsing: .unconditional, help: "Printer workers to keep running (1...\(ServiceManager.maximumWorkers)); overrides the file.")
    var workers: Int?

    @Option(name: .long, parsing: .unconditional, help: "Seconds workers get to stop after SIGTERM before they are killed; overrides the file (default 60).")
    var gracefulTimeout: Double?

    @Option(name: .long, parsing: .unconditional, help: "Workers of the TCP echo service, 0 for none; overrides the file (default: none). It serves a socket passed by systemd socket activation, else 127.0.0.1:--echo-port.")
    var echoWorkers: Int?

    @Option(name: .long, parsing: .unconditional, help: "Seconds the initial workers get to report ready before the daemon gives up and exits 69, 0 to wait forever; overrides the file (default 90).")
    var startupTimeout: Double?

    @Option(name: .long, parsing: .unconditional, help: "Log level: trace, debug, info, notice, warning, error or critical; overrides the file (default info).")
    var logLevel: Logger.Level?

    @Option(name: .long, parsing: .unconditional, help: "Seconds a worker must live for its death not to count as an early failure, for every service; 0 disables backoff and boot-failure counting; overrides the file (default 1).")
    var minUptime: Double?

    @Option(name: .long, parsing: .unconditional, help: "Unrequested worker exits per service tolerated within --restart-window before the daemon gives up (exit 75); 0 never gives up; overrides the file (default 0: workers that became ready are always respawned).")
    var maxRestarts: Int?

    @Option(name: .long, parsing: .unconditional, help: "Seconds of the --max-restarts window; overrides the file (default 60).")
    var restartWindow: Double?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Path of the control socket for cotyledonctl, or \"none\" (default: $RUNTIME_DIRECTORY/control.sock under systemd, /run/cotyledon-demo/control.sock as root, else under $XDG_RUNTIME_DIR or /tmp).",
        valueName: "path"))
    var controlSocket: String?

    @Option(name: .long, parsing: .unconditional, help: "Seconds between two \"Doing stuff\" lines of a worker.")
    var interval: Double = 1

    @Option(name: .long, parsing: .unconditional, help: "Port each echo worker binds (SO_REUSEPORT) when systemd passed no socket.")
    var echoPort = 7007

    func validate() throws {
        if let workers, !(1...ServiceManager.maximumWorkers).contains(workers) {
            throw ValidationError("--workers must be between 1 and \(ServiceManager.maximumWorkers), got \(workers).")
        }
        if let gracefulTimeout, !(gracefulTimeout.isFinite && gracefulTimeout > 0 && gracefulTimeout <= 86_400) {
            throw ValidationError("--graceful-timeout must be a number of seconds in (0, 86400], got \(gracefulTimeout).")
        }
        if let echoWorkers, !(0...ServiceManager.maximumWorkers).contains(echoWorkers) {
            throw ValidationError("--echo-workers must be between 0 and \(ServiceManager.maximumWorkers), got \(echoWorkers).")
        }
        if let startupTimeout, !(startupTimeout.isFinite && startupTimeout >= 0 && startupTimeout <= 86_400) {
            throw ValidationError("--startup-timeout must be a number of seconds in [0, 86400], got \(startupTimeout).")
        }
        if let minUptime, !(minUptime.isFinite && minUptime >= 0 && minUptime <= 86_400) {
            throw ValidationError("--min-uptime must be a number of seconds in [0, 86400], got \(minUptime).")
        }
        if let maxRestarts, maxRestarts < 0 {
            throw ValidationError("--max-restarts must be 0 (never give up) or more, got \(maxRestarts).")
        }
        if let restartWindow, !(restartWindow.isFinite && restartWindow > 0 && restartWindow <= 86_400) {
            throw ValidationError("--restart-window must be a number of seconds in (0, 86400], got \(restartWindow).")
        }
        guard (1...65_535).contains(echoPort) else {
            throw ValidationError("--echo-port must be a TCP port in 1...65535, got \(echoPort).")
        }
        guard interval.isFinite, interval >= 0.001, interval <= 3_600 else {
            throw ValidationError("--interval must be a number of seconds in [0.001, 3600], got \(interval).")
        }
    }

    func run() throws {
        let source = DemoConfigurationSource(
            path: config, workers: workers, gracefulTimeout: gracefulTimeout, echoWorkers: echoWorkers,
            startupTimeout: startupTimeout, logLevel: logLevel,
            minUptime: minUptime, maxRestarts: maxRestarts, restartWindow: restartWindow)
        let configuration: ManagerConfiguration
        do {
            configuration = try source.load()
        } catch {
            Self.report("\(error)")
            // In the new image of an upgrade, a status systemd restarts: the workers it was to
            // adopt exit with it (the check had passed, so the file broke since).
            throw ExitCode((ServiceManager.isTakingOver ? MasterExitCode.upgradeHandoverFailed : .configuration).rawValue)
        }
        LoggingSystem.bootstrap { _ in CotyledonLogHandler() }
        let interval = Duration.seconds(self.interval)
        let port = echoPort
        do {
            let path = controlSocket ?? configuration.controlSocket ?? ServiceManager.defaultControlSocketPath()
            let socket = path == "none" ? nil : path
            let manager = try ServiceManager(configuration: configuration, controlSocket: socket)
            manager.version = Self.version
            try manager.add(PrinterService.self) { workerID in
                PrinterService(workerID: workerID, interval: interval)
            }
            if configuration.services[EchoService.name] != nil {
                try manager.add(EchoService.self) { workerID in
                    EchoService(workerID: workerID, port: port)
                }
            }
            manager.reloadConfiguration { try source.load() }
            manager.run()
        } catch {
            Self.report("error: \(error)")
            throw ExitCode(MasterExitCode.software.rawValue)
        }
    }

    /// Writes `message` to stderr with one write.
    private static func report(_ message: String) {
        var bytes = Array("cotyledon-demo: \(message)\n".utf8)
        _ = write(STDERR_FILENO, &bytes, bytes.count)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
