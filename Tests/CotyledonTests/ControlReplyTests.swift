import CotyledonControlProtocol
import Testing

/// Answers as the master sends them: one line each, byte for byte what clients read.
@Suite struct ControlReplyTests {
    static func text(_ reply: ControlReply) -> String {
        String(decoding: reply.line, as: UTF8.self)
    }

    @Test func okIsTheShortestAnswer() {
        #expect(Self.text(.ok) == #"{"ok":true,"v":1}"# + "\n")
    }

    @Test func scaledNamesTheWorkerCount() {
        #expect(Self.text(.scaled(workers: 4)) == #"{"ok":true,"v":1,"workers":4}"# + "\n")
    }

    @Test func metricsCarryTheirFormatAndText() {
        #expect(Self.text(.metrics(text: "a 1\nb 2\n"))
                == #"{"format":"prometheus-text-0.0.4","ok":true,"text":"a 1\nb 2\n","v":1}"# + "\n")
    }

    @Test func statusIsTheStatusObject() {
        let status = ControlStatus(pid: 7, phase: "stopping", services: [
            ControlStatus.Service(name: "printer", configured: 1, running: 1, ready: 0, restarts: 0, workers: [
                ControlStatus.Worker(id: 0, pid: 8, state: "starting", uptime: 0.5, restarts: 0, lastExit: nil),
            ]),
        ])
        #expect(Self.text(.status(status)) == status.json.text + "\n")
        #expect(Self.text(.status(status)).hasPrefix(#"{"build":null,"ok":true,"phase":"stopping","pid":7,"#))
    }

    @Test func aFailureIsTheRefusalLine() {
        let refusal = ControlError(.reloadFailed, "the daemon is stopping")
        #expect(ControlReply.failure(refusal).line == refusal.line)
        #expect(Self.text(.failure(refusal)) == #"{"code":"reload-failed","error":"the daemon is stopping","ok":false,"v":1}"# + "\n")
    }

    @Test func everyAnswerIsOneLine() {
        let replies: [ControlReply] = [.ok, .scaled(workers: 0), .metrics(text: "x\ny\n"), .failure(ControlError(.busy, "a\nb"))]
        for reply in replies {
            #expect(reply.line.last == 0x0A && !reply.line.dropLast().contains(0x0A), "\(reply)")
        }
    }
}
