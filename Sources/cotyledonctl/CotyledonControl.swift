import ArgumentParser

/// `cotyledonctl`: asks a running cotyledon daemon through its control socket.
struct CotyledonControl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotyledonctl",
        abstract: "Query and control a running cotyledon daemon through its control socket.",
        discussion: """
        Sends one request (line-delimited JSON, protocol version 1) and prints the answer: \
        a table or a sentence, or with --json the daemon's answer as it came.

        \(ControlExitCode.helpText)
        """,
        subcommands: [
            StatusCommand.self, ScaleCommand.self, ReloadCommand.self, UpgradeCommand.self, StopCommand.self,
            RestartCommand.self, LogLevelCommand.self, MetricsCommand.self,
        ])

    @OptionGroup var options: ControlOptions
}
