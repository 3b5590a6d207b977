import ArgumentParser
import CotyledonControlProtocol
import Glibc

/// The options every command shares: where the socket is and how to print the answer.
struct ControlOptions: ParsableArguments {
    /// The program whose default socket path is used when no option or environment variable
    /// names another: the package's demo daemon.
    static let fallbackProgram = "cotyledon-demo"

    @Option(name: .long, help: ArgumentHelp(
        "The daemon's control socket (default: the default path of --program, else $\(ControlSocketLocation.environmentVariable), else the default path of \(ControlOptions.fallbackProgram)).",
        valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp(
        "The daemon's executable name: connect to the socket the daemon chooses by default ($RUNTIME_DIRECTORY/control.sock, else /run/<name>/control.sock as root, else $XDG_RUNTIME_DIR/<name>/control.sock or /tmp/<name>-<uid>/control.sock).",
        valueName: "name"))
    var program: String?

    @Flag(name: .long, help: "Print the daemon's answer as it came (one JSON object) instead of a table or sentence.")
    var json = false

    /// Refuses `--socket` with `--program`, and a `--program` that is not a file name.
    func validate() throws {
        if socket != nil && program != nil {
            throw ValidationError("give --socket or --program, not both: --program only derives the socket's path")
        }
        if let program, program.isEmpty || program.contains("/") || program == "." || program == ".." {
            throw ValidationError("--program takes the daemon's executable name without a directory (kvd, not /usr/bin/kvd), got '\(program)'")
        }
    }

    /// Sends the request for `command`, waits for the answer and prints it.
    ///
    /// On success, prints `describe(answer)`, or with `--json` the raw answer as it came. Otherwise
    /// writes the reason to stderr (and the raw answer to stdout with `--json`, when there is
    /// one) and exits with the matching ``ControlExitCode``.
    ///
    /// Whatever the daemon answered, nothing it sent reaches the terminal raw: control
    /// characters are escaped as in JSON (`\u001b`) everywhere, and the reason on stderr and
    /// the `--json` line stay one line (`\n`). The `--json` line remains valid JSON: the
    /// escapes replace characters that can only stand inside its strings.
    /// - Parameters:
    ///   - timeout: for connecting and answering together.
    ///   - describe: the human-readable text of a successful answer.
    func perform(
        _ command: ControlCommand, timeout: Duration = .seconds(5),
        describe: (ControlResponse) throws(ControlFailure) -> String
    ) throws {
        let path = ControlSocketLocation.clientPath(
            socket: socket, program: program, fallbackProgram: Self.fallbackProgram, uid: geteuid())
        do {
            let response = try exchange(ControlRequest(command), path: path, timeout: timeout)
            if json { print(EscapedText.controls(in: response.line)) }
            guard response.ok else { throw response.failure }
            guard !json else { return }
            let text = try describe(response)
            if !text.isEmpty { print(EscapedText.controls(in: text, keepingNewlines: true)) }
        } catch let failure as ControlFailure {
            let message = Array("cotyledonctl: \(EscapedText.controls(in: failure.message))\n".utf8)
            _ = message.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(failure.exitCode.rawValue)
        }
    }

    /// Connects, sends `request` and reads one answer, all before `timeout` from now.
    private func exchange(_ request: ControlRequest, path: String, timeout: Duration) throws(ControlFailure) -> ControlResponse {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let connection = try ControlConnection(path: path, deadline: deadline)
        try connection.send(request.line, deadline: deadline)
        do {
            return try ControlResponse(connection.receiveLine(deadline: deadline))
        } catch let failure where failure.exitCode == .timedOut {
            throw ControlFailure(.timedOut, "\(failure.message); gave up after \(timeout.components.seconds) s")
        }
    }
}
