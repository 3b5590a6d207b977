import Glibc

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

    /// Writes `<program>: error: <message>` to standard error in one write, for a failure
    /// that ends the process before any logging is set up to say it.
    static func reportFailure(_ message: String) {
        let line = Array("\(current): error: \(message)\n".utf8)
        line.withUnsafeBytes { bytes in _ = try? Syscall.writeAll(STDERR_FILENO, bytes) }
    }
}
