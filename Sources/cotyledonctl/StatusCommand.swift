import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl status`: the services and their workers.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the master, each service's counts and each worker (id, pid, state, uptime, restarts, last exit).")

    @ParentCommand var control: CotyledonControl

    func run() throws {
        try control.options.perform(.status) { response throws(ControlFailure) in
            try response.status().table
        }
    }
}
