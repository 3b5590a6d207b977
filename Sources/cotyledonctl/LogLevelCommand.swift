import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl log-level LEVEL`: change the daemon's log level until the next reload.
struct LogLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-level",
        abstract: "Set the daemon's log level (until the next reload).")

    /// The levels of swift-log, most verbose first.
    static let levels = ControlLogLevel.allCases.map(\.rawValue)

    @ParentCommand var control: CotyledonControl

    @Argument(help: ArgumentHelp("One of \(LogLevelCommand.levels.joined(separator: ", ")).", valueName: "level"))
    var level: String

    func validate() throws {
        _ = try chosenLevel()
    }

    func run() throws {
        try control.options.perform(.logLevel(chosenLevel())) { _ in
            "log level: \(level)"
        }
    }

    /// The level named on the command line.
    /// - Throws: the usage error naming the levels, for any other name.
    private func chosenLevel() throws(ValidationError) -> ControlLogLevel {
        guard let chosen = ControlLogLevel(rawValue: level) else {
            throw ValidationError("unknown log level '\(level)'; use one of \(Self.levels.joined(separator: ", ")).")
        }
        return chosen
    }
}
