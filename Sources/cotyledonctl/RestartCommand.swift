import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl restart SERVICE [WORKER_ID]`: replace workers without losing capacity.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Replace a service's workers one by one, or only the worker WORKER_ID.",
        discussion: """
        Readiness-gated: each old worker is stopped only once its replacement is ready, so \
        the service never has fewer ready workers than configured. Answers when the restart \
        has started.
        """)

    @ParentCommand var control: CotyledonControl

    @Argument(help: "The service, e.g. printer.")
    var service: String

    @Argument(help: ArgumentHelp("The worker to replace (its id, from 0); all of them when left out.", valueName: "worker-id"))
    var workerID: Int?

    func validate() throws {
        if let workerID, workerID < 0 {
            throw ValidationError("a worker id is 0 or more, got \(workerID).")
        }
    }

    func run() throws {
        try control.options.perform(.restart(service: service, worker: workerID)) { _ in
            workerID.map { "\(service): restarting worker \($0)" } ?? "\(service): restarting every worker (rolling)"
        }
    }
}
