import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl reload [--wait]`: what SIGHUP does, with an answer.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the configuration and apply it (resize, reload in place or roll the workers).",
        discussion: """
        Without --wait, answers as soon as the reload started. With --wait, answers when it \
        completed (exit 0) or failed (exit 2, with the reason, e.g. the file and line of a \
        configuration error), waiting up to 30 s: fit for systemd's ExecReload=.
        """)

    @ParentCommand var control: CotyledonControl

    @Flag(name: .long, help: "Wait until the reload has completed or failed (up to 30 s).")
    var wait = false

    func run() throws {
        try control.options.perform(.reload(wait: wait), timeout: .seconds(wait ? 30 : 5)) { _ in
            wait ? "reload complete" : "reload started"
        }
    }
}
