/// The base name of the executable (`argv[0]`), captured before process titles overwrite argv.
enum ProgramName {
    /// The program name and its full original command line.
    static let invocation: (name: String, commandLine: String) = {
        let arguments = CommandLine.arguments
        let first = arguments.first ?? "cotyledon"
        let name = first.split(separator: "/").last.map(String.init) ?? first
        return (name, arguments.joined(separator: " "))
    }()

    /// The base name of the executable.
    static var current: String { invocation.name }
}
