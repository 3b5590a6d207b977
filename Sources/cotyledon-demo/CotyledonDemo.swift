import ArgumentParser
import Cotyledon
import Glibc
import Logging

/// `cotyledon-demo`: the printer daemon, supervised by a ``ServiceManager``.
struct CotyledonDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotyledon-demo",
        abstract: "A pre-forking daemon whose printer workers print \"Doing stuff\" until stopped.",
        discussion: """
        Runs in the foreground. Signals to the master: SIGTERM graceful stop, SIGINT or \
        SIGQUIT fast stop, SIGHUP reload, SIGTTIN/SIGTTOU one printer worker more/fewer. \
        Exit status: 0 after a requested stop, 64 usage error, 70 internal error.
        """)

    @Option(name: .long, parsing: .unconditional, help: "Printer workers to keep running (1...\(ServiceManager.maximumWorkers)).")
    var workers = 2

    @Option(name: .long, parsing: .unconditional, help: "Seconds workers get to stop after SIGTERM before they are killed.")
    var gracefulTimeout: Double = 60

    @Option(name: .long, parsing: .unconditional, help: "Seconds between two \"Doing stuff\" lines of a worker.")
    var interval: Double = 1

    @Option(name: .long, parsing: .unconditional, help: "Workers of the TCP echo service (0: no echo service). It serves a socket passed by systemd socket activation, else 127.0.0.1:--echo-port.")
    var echoWorkers = 0

    @Option(name: .long, parsing: .unconditional, help: "Port each echo worker binds (SO_REUSEPORT) when systemd passed no socket.")
    var echoPort = 7007

    @Option(name: .long, parsing: .unconditional, help: "Seconds the initial workers get to report ready before the daemon gives up and exits 69 (0: wait forever).")
    var startupTimeout: Double = 90

    @Option(name: .long, parsing: .unconditional, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (1...ServiceManager.maximumWorkers).contains(workers) else {
            throw ValidationError("--workers must be between 1 and \(ServiceManager.maximumWorkers), got \(workers).")
        }
        guard gracefulTimeout.isFinite, gracefulTimeout > 0, gracefulTimeout <= 86_400 else {
            throw ValidationError("--graceful-timeout must be a number of seconds in (0, 86400], got \(gracefulTimeout).")
        }
        guard (0...ServiceManager.maximumWorkers).contains(echoWorkers) else {
            throw ValidationError("--echo-workers must be between 0 and \(ServiceManager.maximumWorkers), got \(echoWorkers).")
        }
        guard (1...65_535).contains(echoPort) else {
            throw ValidationError("--echo-port must be a TCP port in 1...65535, got \(echoPort).")
        }
        guard startupTimeout.isFinite, startupTimeout >= 0, startupTimeout <= 86_400 else {
            throw ValidationError("--startup-timeout must be a number of seconds in [0, 86400], got \(startupTimeout).")
        }
        guard interval.isFinite, interval >= 0.001, interval <= 3_600 else {
            throw ValidationError("--interval must be a number of seconds in [0.001, 3600], got \(interval).")
        }
    }

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { _ in
            var handler = CotyledonLogHandler()
            handler.logLevel = level
            return handler
        }
        let interval = Duration.seconds(self.interval)
        do {
            let manager = try ServiceManager(
                gracefulShutdownTimeout: .seconds(gracefulTimeout),
                startupTimeout: startupTimeout > 0 ? .seconds(startupTimeout) : nil)
            try manager.add(name: PrinterService.name, workers: workers) { workerID in
                PrinterService(workerID: workerID, interval: interval)
            }
            if echoWorkers > 0 {
                let port = echoPort
                try manager.add(name: EchoService.name, workers: echoWorkers) { workerID in
                    EchoService(workerID: workerID, port: port)
                }
            }
            try manager.run()
        } catch {
            var message = Array("cotyledon-demo: error: \(error)\n".utf8)
            _ = write(STDERR_FILENO, &message, message.count)
            throw ExitCode(MasterExitCode.software.rawValue)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
