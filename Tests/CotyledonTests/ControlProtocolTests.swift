import CotyledonControlProtocol
import PropertyBased
import Testing

/// The control protocol as both ends use it: what the client writes, the master reads.
@Suite struct ControlProtocolTests {
    @Test func aRequestReadsBackAsWritten() async {
        let commands = ["status", "scale", "reload", "stop", "restart", "log-level", "metrics", "ünïcode \"quoted\""]
        await propertyCheck(count: 200, input: Gen.element(of: commands), Gen.int(in: -1...10_000), Gen.bool(), Gen.bool()) {
            command, number, flag, present in
            var request = ControlRequest(command ?? "status")
            if present {
                request.service = "printer"
                request.workers = number
                request.worker = number / 2
                request.wait = flag
                request.fast = !flag
                request.level = "debug"
            }
            let line = request.line
            #expect(line.last == 0x0A && !line.dropLast().contains(0x0A), "one line")
            #expect((try? ControlRequest(line: Array(line.dropLast()))) == request)
        }
    }

    @Test(arguments: [
        (#"[1]"#, "a request is a JSON object"),
        (#"{"command":"status"}"#, "\"v\""),
        (#"{"v":1}"#, "\"command\" is missing"),
        (#"{"v":1,"command":"scale","workers":"4"}"#, "\"workers\" must be a whole number"),
        (#"{"v":1,"command":"scale","workers":4.5}"#, "\"workers\" must be a whole number"),
        (#"{"v":1,"command":"reload","wait":"yes"}"#, "\"wait\" must be true or false"),
        (#"{"v":1,"command":"status""#, "not JSON"),
    ])
    func aBadRequestSaysWhatIsWrong(_ line: String, _ problem: String) {
        let error = #expect(throws: ControlError.self) { try ControlRequest(line: Array(line.utf8)) }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
    }

    @Test func unknownMembersAreIgnored() throws {
        let request = try ControlRequest(line: Array(#"{"v":1,"command":"status","future":{"x":[1,2]}}"#.utf8))
        #expect(request == ControlRequest("status"))
    }

    @Test func aStatusAnswerReadsBackAsWritten() throws {
        let status = ControlStatus(pid: 42, phase: "running", services: [
            ControlStatus.Service(name: "printer", configured: 2, running: 2, ready: 1, restarts: 3, workers: [
                ControlStatus.Worker(id: 0, pid: 43, state: "ready", uptime: 12.25, restarts: 3, lastExit: "killed:SIGKILL"),
                ControlStatus.Worker(id: 1, pid: 44, state: "starting", uptime: 0.5, restarts: 0, lastExit: nil),
            ]),
        ])
        let text = status.json.text
        #expect(text.contains(#""lastExit":null"#))
        #expect(text.contains(#""build":null"#), "an unknown build is written as null: \(text)")
        #expect(try ControlStatus(json: JSONParser.parse(Array(text.utf8))) == status)
        let broken = try JSONParser.parse(Array(text.replacingOccurrences(of: #""pid":43"#, with: #""pid":"43""#).utf8))
        let error = #expect(throws: ControlError.self) { try ControlStatus(json: broken) }
        #expect(error?.message.contains("services[0].workers[0].pid") == true, "\(String(describing: error))")
    }

    @Test func buildsReadBackAndAreOptional() throws {
        let status = ControlStatus(pid: 42, phase: "running", build: "1.1.0 (build 6fc6ad6288d7)", services: [
            ControlStatus.Service(name: "http", configured: 2, running: 2, ready: 2, restarts: 0, workers: [
                ControlStatus.Worker(id: 0, pid: 43, state: "ready", uptime: 1, restarts: 0, lastExit: nil, build: "1.0.0 (build a4a52586dffa)"),
                ControlStatus.Worker(id: 1, pid: 44, state: "ready", uptime: 1, restarts: 0, lastExit: nil, build: "1.1.0 (build 6fc6ad6288d7)"),
            ]),
        ])
        #expect(try ControlStatus(json: JSONParser.parse(Array(status.json.text.utf8))) == status)
        // A daemon from before builds were reported leaves the members out.
        let older = try ControlStatus(json: JSONParser.parse(Array(#"{"v":1,"ok":true,"pid":7,"phase":"running","services":[{"name":"a","configured":1,"running":1,"ready":1,"restarts":0,"workers":[{"id":0,"pid":8,"state":"ready","uptime":1,"restarts":0}]}]}"#.utf8)))
        #expect(older.build == nil)
        #expect(older.services[0].workers[0].build == nil)
    }

    @Test func aRefusalIsOneLineWithItsCode() throws {
        let line = ControlError(.unknownService, "no service \"x\"").line
        #expect(String(decoding: line, as: UTF8.self) == #"{"code":"unknown-service","error":"no service \"x\"","ok":false,"v":1}"# + "\n")
    }
}
