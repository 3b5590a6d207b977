import ArgumentParser
import Cotyledon
import Glibc
import Logging

/// `http-daemon`: a pre-forking HTTP server. The master forks `--workers` processes; each
/// serves the same port with its own SwiftNIO event loop.
@main
struct HTTPDaemon: ParsableCommand {
    /// The daemon's version. `http-daemon-next` is the same source built as the next
    /// version, for trying an in-place upgrade (`cotyledonctl upgrade`) and for its tests.
    #if NEXT_BUILD
    static let version = "1.1.0-next"
    #else
    static let version = "1.0.0"
    #endif

    static let configuration = CommandConfiguration(
        commandName: "http-daemon",
        abstract: "A pre-forking HTTP server: worker processes serving one port with SwiftNIO.",
        discussion: """
        The workers serve one listening socket: the one systemd passes with \
        FileDescriptorName=http (socket activation), else the one the master opens on \
        --host:--port before it forks. All workers accept from its one queue, so a worker that \
        stops or dies leaves the connections waiting there to the others. With --reuse-port \
        each worker binds its own socket with SO_REUSEPORT instead: the kernel spreads \
        connections across per-worker queues, and the connections waiting in a worker's \
        queue are reset when it stops. GET / answers with a greeting and the worker's pid \
        (also in the X-Worker-Pid header); GET /slow answers the same after 2 seconds \
        (/slow?ms=N: after N milliseconds, at most 60000). \
        Signals to the master: SIGTERM drains and exits 0: each worker stops accepting, \
        answers the request in flight on every connection with "Connection: close", gives a \
        connection with no request yet 1 second to send one (answered the same way), and \
        closes only the connections still idle after that; what is still open just before \
        --graceful-timeout is closed. A worker stopped by a rolling restart or a scale-down \
        drains the same way. SIGHUP makes the master re-read --settings, and every worker \
        takes the new greeting in place; SIGTTIN / SIGTTOU add / remove a worker. With \
        --control-socket PATH: cotyledonctl --socket PATH restart http (rolling), \
        cotyledonctl --socket PATH scale http N. SIGUSR2 (or cotyledonctl --socket PATH upgrade \
        --wait) hands the daemon over to the executable now at its path, with the same pid and \
        listening socket, then replaces the workers one by one: deploy a new build by renaming \
        it over the old file, then upgrade.
        """,
        version: ServiceManager.buildIdentity(version: version))

    @Option(help: "Port to listen on when systemd passed no socket named \"http\" (0: one the kernel picks, logged with event=listener-opened; not with --reuse-port).")
    var port = 8080

    @Option(help: "IP address to listen on when systemd passed no socket (an IPv4 or IPv6 literal).")
    var host = "127.0.0.1"

    @Option(help: "Connections the listening socket queues until a worker accepts them (the master's socket only).")
    var backlog = ListenerConfiguration.defaultBacklog

    @Flag(help: "Each worker binds its own socket with SO_REUSEPORT instead of sharing the master's: connections waiting in a stopping worker's queue are lost.")
    var reusePort = false

    @Option(help: "Worker processes (1...\(ServiceManager.maximumWorkers)).")
    var workers = 2

    @Option(help: ArgumentHelp(
        "JSON settings file, e.g. {\"greeting\": \"Hello\"}; read by the master at start and on SIGHUP.",
        valueName: "path"))
    var settings: String?

    @Option(help: "Seconds workers get to drain after SIGTERM before they are killed.")
    var gracefulTimeout: Double = 30

    @Option(parsing: .unconditional, help: "Unrequested worker exits tolerated within --restart-window before the daemon gives up (exit 75); 0, the default, never gives up on workers that became ready.")
    var maxRestarts = RestartPolicy.default.maximumRestarts

    @Option(parsing: .unconditional, help: "Seconds of the --max-restarts window.")
    var restartWindow: Double = 60

    @Option(help: ArgumentHelp(
        "Where the master serves its control socket, for `cotyledonctl --socket PATH restart http` or `scale http N`; none when left out.",
        valueName: "path"))
    var controlSocket: String?

    func validate() throws {
        guard ((reusePort ? 1 : 0)...65_535).contains(port) else {
            throw ValidationError("--port must be a TCP port in \(reusePort ? 1 : 0)...65535, got \(port).")
        }
        guard (1...ServiceManager.maximumWorkers).contains(workers) else {
            throw ValidationError("--workers must be between 1 and \(ServiceManager.maximumWorkers), got \(workers).")
        }
        guard gracefulTimeout.isFinite, gracefulTimeout > 0, gracefulTimeout <= 86_400 else {
            throw ValidationError("--graceful-timeout must be a number of seconds in (0, 86400], got \(gracefulTimeout).")
        }
        guard maxRestarts >= 0 else {
            throw ValidationError("--max-restarts must be 0 (never give up) or more, got \(maxRestarts).")
        }
        guard restartWindow.isFinite, restartWindow > 0, restartWindow <= 86_400 else {
            throw ValidationError("--restart-window must be a number of seconds in (0, 86400], got \(restartWindow).")
        }
    }

    func run() throws {
        // Only the master reads the file: a broken file stops the daemon before anything is
        // forked, and on reload changes nothing; workers get the value it validated.
        let settingsPath = settings
        let supervisor = ManagerConfiguration(gracefulShutdownTimeout: .seconds(gracefulTimeout))
        let initial: HTTPSettings
        do {
            initial = try HTTPSettings.load(from: settingsPath, manager: supervisor)
        } catch {
            let message = Array("http-daemon: \(error)\n".utf8)
            _ = write(STDERR_FILENO, message, message.count)
            // The new image of an upgrade exits with a status systemd restarts: the workers
            // it was to adopt exit with it.
            throw ExitCode((ServiceManager.isTakingOver ? MasterExitCode.upgradeHandoverFailed : .configuration).rawValue)
        }
        // Nothing here may start a thread before manager.run(): the event loops are
        // created by each worker, in HTTPService.run().
        LoggingSystem.bootstrap { _ in CotyledonLogHandler() }
        let endpoint = HTTPService.Endpoint(host: host, port: port)
        let restartPolicy = RestartPolicy(maximumRestarts: maxRestarts, restartWindow: .seconds(restartWindow))
        let manager = try ServiceManager(settings: initial, reload: { try HTTPSettings.load(from: settingsPath, manager: supervisor) },
                                         restartPolicy: restartPolicy, controlSocket: controlSocket)
        manager.version = Self.version
        if !reusePort {
            // The master opens it before forking; every worker finds it as listeners["http"],
            // as it finds the socket systemd passes under that name, which takes its place.
            try manager.addListener("http", ListenerConfiguration(address: .tcp(host: host, port: port), backlog: backlog))
        }
        try manager.add(HTTPService.self, workers: workers) { workerID in
            HTTPService(workerID: workerID, endpoint: endpoint)
        }
        manager.run()
    }
}
