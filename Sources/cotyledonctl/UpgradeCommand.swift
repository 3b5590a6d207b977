import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl upgrade [--wait] [--timeout SECONDS]`: what SIGUSR2 does, with an answer.
struct UpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Hand the daemon over to the executable now on disk, with the same pid, listeners and workers.",
        discussion: """
        The master first runs the new executable in a check mode (it loads and validates the \
        configuration, then exits); a build that fails the check is refused and nothing changes. \
        Then the master re-executes itself from that file, keeping its pid, its listening sockets \
        and its running workers, and replaces the workers one by one with workers of the new \
        build, each old worker stopping only once its replacement is ready. \
        Deploy by replacing the file atomically (write it beside the old one, then rename it \
        over), then run this command. \
        Without --wait, answers as soon as the upgrade started. With --wait, answers when every \
        worker runs the new build (exit 0) or the upgrade was refused or failed (exit 2, with the \
        reason), waiting up to --timeout: fit for a deploy script or systemd's ExecReload=.
        """)

    @ParentCommand var control: CotyledonControl

    @Flag(name: .long, help: "Wait until the upgrade has completed or failed.")
    var wait = false

    @Option(name: .long, help: "With --wait, how long to wait for the answer, in seconds (the check, then one readiness wait per worker).")
    var timeout: Int = 300

    func validate() throws {
        guard (1...86_400).contains(timeout) else {
            throw ValidationError("--timeout takes 1...86400 seconds, not \(timeout)")
        }
    }

    func run() throws {
        try control.options.perform(.upgrade(wait: wait), timeout: .seconds(wait ? timeout : 5)) { _ in
            wait ? "upgrade complete" : "upgrade started"
        }
    }
}
