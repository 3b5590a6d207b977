import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl stop [--fast]`: what SIGTERM (or SIGINT) does.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the daemon: gracefully (like SIGTERM) or, with --fast, at once (like SIGINT).",
        discussion: "Answers when the stop has started, not when the daemon has exited.")

    @ParentCommand var control: CotyledonControl

    @Flag(name: .long, help: "Stop at once: workers are interrupted, and killed after 1 s.")
    var fast = false

    func run() throws {
        try control.options.perform(.stop(fast: fast)) { _ in
            fast ? "stopping (fast)" : "stopping"
        }
    }
}
