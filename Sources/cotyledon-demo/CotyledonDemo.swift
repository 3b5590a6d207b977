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

    @Option(name: .long, help: "Printer workers to keep running (1...\(ServiceManager.maximumWorkers)).")
    var workers = 2

    @Option(name: .long, help: "Seconds workers get to stop after SIGTERM before they are killed.")
    var gracefulTimeout: Double = 60

    @Option(name: .long, help: "Seconds between two \"Doing stuff\" lines of a worker.")
    var interval: Double = 1

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (1...ServiceManager.maximumWorkers).contains(workers) else {
            throw ValidationError("--workers must be between 1 and \(ServiceManager.maximumWorkers), got \(workers).")
        }
        guard gracefulTimeout.isFinite, gracefulTimeout > 0, gracefulTimeout <= 86_400 else {
            throw ValidationError("--graceful-timeout must be a number of seconds in (0, 86400], got \(gracefulTimeout).")
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
            let manager = try ServiceManager(gracefulShutdownTimeout: .seconds(gracefulTimeout))
            try manager.add(name: PrinterService.name, workers: workers) { workerID in
                PrinterService(workerID: workerID, interval: interval)
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
