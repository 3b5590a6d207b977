/// Why a command did not succeed: the message for stderr and the exit status it maps to.
struct ControlFailure: Error, CustomStringConvertible {
    /// The exit status `cotyledonctl` ends with.
    let exitCode: ControlExitCode
    /// A sentence for the operator, without the program name.
    let message: String

    init(_ exitCode: ControlExitCode, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    var description: String { message }
}
