import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl log-level LEVEL`: change the daemon's log level until the next reload.
struct LogLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-level",
        abstract: "Set the daemon's log level (until the next reload).")

    /// The levels of swift-log, most verbose first.
    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    @ParentCommand var control: CotyledonControl

    @Argument(help: ArgumentHelp("One of \(LogLevelCommand.levels.joined(separator: ", ")).", valueName: "level"))
    var level: String

    func validate() throws {
        guard Self.levels.contains(level) else {
            throw ValidationError("unknown log level '\(level)'; use one of \(Self.levels.joined(separator: ", ")).")
        }
    }

    func run() throws {
        var request = ControlRequest("log-level")
        request.level = level
        try control.options.perform(request) { _ in
            "log level: \(level)"
        }
    }
}
