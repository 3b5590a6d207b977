import CotyledonControlProtocol
import Testing

/// Requests read as commands: the arguments each needs, the refusals in the order the
/// daemon makes them, and the request each command is sent as.
@Suite struct ControlCommandTests {
    static let commands: [ControlCommand] = [
        .status, .metrics, .stop(fast: false), .stop(fast: true), .scale(service: "printer", workers: 4),
        .reload(wait: false), .reload(wait: true), .restart(service: "printer", worker: nil),
        .restart(service: "printer", worker: 2), .logLevel(.debug), .upgrade(wait: false), .upgrade(wait: true),
    ]

    /// The command `line` asks for, or the refusal.
    static func command(_ line: String, daemonIsStopping: Bool = false) throws(ControlError) -> ControlCommand {
        try ControlCommand(ControlRequest(line: Array(line.utf8)), daemonIsStopping: daemonIsStopping)
    }

    @Test("a command reads back from the request it is sent as", arguments: commands)
    func aCommandReadsBackFromItsRequest(_ command: ControlCommand) throws {
        let line = ControlRequest(command).line
        #expect(try ControlCommand(ControlRequest(line: Array(line.dropLast()))) == command)
    }

    @Test("requests are sent as cotyledonctl always sent them", arguments: [
        (ControlCommand.status, #"{"command":"status","v":1}"#),
        (.stop(fast: false), #"{"command":"stop","fast":false,"v":1}"#),
        (.scale(service: "printer", workers: 3), #"{"command":"scale","service":"printer","v":1,"workers":3}"#),
        (.reload(wait: false), #"{"command":"reload","v":1,"wait":false}"#),
        (.upgrade(wait: true), #"{"command":"upgrade","v":1,"wait":true}"#),
        (.restart(service: "printer", worker: nil), #"{"command":"restart","service":"printer","v":1}"#),
        (.restart(service: "printer", worker: 1), #"{"command":"restart","service":"printer","v":1,"worker":1}"#),
        (.logLevel(.warning), #"{"command":"log-level","level":"warning","v":1}"#),
    ])
    func theRequestLineIsUnchanged(_ command: ControlCommand, _ line: String) {
        #expect(String(decoding: ControlRequest(command).line, as: UTF8.self) == line + "\n")
    }

    @Test func flagsLeftOutAreFalse() throws {
        #expect(try Self.command(#"{"v":1,"command":"stop"}"#) == .stop(fast: false))
        #expect(try Self.command(#"{"v":1,"command":"reload"}"#) == .reload(wait: false))
        #expect(try Self.command(#"{"v":1,"command":"reload","wait":true}"#) == .reload(wait: true))
        #expect(try Self.command(#"{"v":1,"command":"upgrade"}"#) == .upgrade(wait: false))
    }

    @Test("a refusal carries the code and the message the daemon always sent", arguments: [
        (#"{"v":2,"command":"status"}"#, ControlError.Code.unsupportedVersion,
         "protocol version 2 is not supported; this daemon speaks version 1"),
        (#"{"v":1,"command":"dance"}"#, .unknownCommand,
         #"unknown command "dance": use status, metrics, scale, reload, upgrade, stop, restart or log-level"#),
        (#"{"v":1,"command":"scale","workers":2}"#, .badRequest, #"this command needs "service""#),
        (#"{"v":1,"command":"restart"}"#, .badRequest, #"this command needs "service""#),
        (#"{"v":1,"command":"scale","service":"printer"}"#, .badRequest, #"scale needs "workers""#),
        (#"{"v":1,"command":"log-level"}"#, .badRequest,
         #"log-level needs "level": one of trace, debug, info, notice, warning, error, critical"#),
        (#"{"v":1,"command":"log-level","level":"chatty"}"#, .badRequest,
         #"log-level needs "level": one of trace, debug, info, notice, warning, error, critical"#),
    ])
    func aRefusalSaysWhatIsWrong(_ line: String, _ code: ControlError.Code, _ message: String) {
        #expect(throws: ControlError(code, message)) { try Self.command(line) }
    }

    @Test("a stopping daemon performs status, metrics and stop", arguments: [
        (#"{"v":1,"command":"status"}"#, ControlCommand.status),
        (#"{"v":1,"command":"metrics"}"#, .metrics),
        (#"{"v":1,"command":"stop","fast":true}"#, .stop(fast: true)),
    ])
    func aStoppingDaemonStillAnswers(_ line: String, _ command: ControlCommand) throws {
        #expect(try Self.command(line, daemonIsStopping: true) == command)
    }

    @Test("a stopping daemon refuses anything else first, even a request it could not read", arguments: [
        #"{"v":1,"command":"reload"}"#, #"{"v":1,"command":"upgrade"}"#, #"{"v":1,"command":"scale"}"#, #"{"v":1,"command":"restart","service":"printer"}"#,
        #"{"v":1,"command":"log-level","level":"chatty"}"#, #"{"v":1,"command":"dance"}"#,
    ])
    func aStoppingDaemonRefusesChanges(_ line: String) {
        #expect(throws: ControlError(.stopping, "the daemon is stopping")) { try Self.command(line, daemonIsStopping: true) }
    }

    @Test func theVersionIsCheckedBeforeTheDaemonStopping() {
        #expect(throws: ControlError(.unsupportedVersion, "protocol version 2 is not supported; this daemon speaks version 1")) {
            try Self.command(#"{"v":2,"command":"reload"}"#, daemonIsStopping: true)
        }
    }
}
