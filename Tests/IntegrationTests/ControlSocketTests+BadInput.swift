import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ControlSocketTests {
    /// Bad input at the socket level, from a raw client in the test process: each gets an error
    /// response or is dropped, and supervision goes on.
    @Suite
    struct BadInput {
        /// Checks that `response` is a version-1 failure with `code` and a message.
        static func expectFailure(
            _ response: [String: Any], _ code: String, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(response["v"] as? Int == 1 && response["ok"] as? Bool == false && response["code"] as? String == code
                    && !(response["error"] as? String ?? "").isEmpty, "expected \(code): \(response)",
                    sourceLocation: sourceLocation)
        }

        @Test("malformed JSON, unknown command, wrong fields, other version: an error each, and the connection goes on",
              .timeLimit(.minutes(1)))
        func malformedRequests() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
            let mark = demo.cursor

            let client = try UnixStreamClient(path: socket.path)
            let cases: [(request: String, code: String)] = [
                (#"{"v":1,"command":"#, "bad-request"),
                ("not json at all", "bad-request"),
                ("[1,2,3]", "bad-request"),
                (#"{"command":"status"}"#, "bad-request"),
                (#"{"v":"1","command":"status"}"#, "bad-request"),
                (#"{"v":1,"command":"dance"}"#, "unknown-command"),
                (#"{"v":1}"#, "bad-request"),
                (#"{"v":2,"command":"status"}"#, "unsupported-version"),
                (#"{"v":1,"command":"scale","service":"printer"}"#, "bad-request"),
                (#"{"v":1,"command":"scale","service":"printer","workers":"four"}"#, "bad-request"),
                (#"{"v":1,"command":"scale","service":"typewriter","workers":2}"#, "unknown-service"),
                (#"{"v":1,"command":"scale","workers":2}"#, "bad-request"),
                (#"{"v":1,"command":"restart","service":"../../etc/passwd"}"#, "unknown-service"),
                (#"{"v":1,"command":"log-level","level":"chatty"}"#, "bad-request"),
                (#"{"v":1,"command":"log-level"}"#, "bad-request"),
                ("{\"v\":1,\"command\":\"st\u{0}atus\"}", "bad-request"),
                ("\u{FF}\u{FE}garbage", "bad-request"),
            ]
            for (request, code) in cases {
                let response = try client.exchange(request)
                Self.expectFailure(response, code)
            }
            // Still usable: a valid request on the same connection.
            let status = try client.exchange(#"{"v":1,"command":"status"}"#)
            #expect(status["ok"] as? Bool == true && status["pid"] as? Int == Int(demo.pid), "\(status)")
            #expect(demo.logLines.filter { $0.index >= mark && ($0.event ?? "").hasPrefix("worker-") }.isEmpty,
                    "no worker touched by bad requests")
            #expect(demo.events("scaled").isEmpty && demo.events("log-level").isEmpty)
            client.close()

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("lines over 64 KiB → request-too-large, then closed; the daemon serves the next client", .timeLimit(.minutes(1)))
        func hugeLines() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            // A complete, otherwise valid request line of 70 KiB.
            let padded = try UnixStreamClient(path: socket.path)
            let padding = String(repeating: "x", count: 70 * 1024)
            try padded.send(#"{"v":1,"command":"status","padding":"\#(padding)"}"# + "\n")
            let paddedResponse = try padded.readResponse()
            Self.expectFailure(paddedResponse, "request-too-large")
            #expect(try padded.read(within: .seconds(5)) == .closed, "closed after request-too-large")

            // 1 MiB without a newline: answered and closed without reading it all.
            let endless = try UnixStreamClient(path: socket.path)
            let sent = try endless.send(bytes: [UInt8](repeating: UInt8(ascii: "{"), count: 1 << 20))
            Self.expectFailure(try endless.readResponse(), "request-too-large")
            #expect(try endless.read(within: .seconds(5)) == .closed, "closed after request-too-large (\(sent) bytes sent)")

            // Exactly at the limit is not too large (64 KiB of line, newline excluded).
            let limit = try UnixStreamClient(path: socket.path)
            let prefix = #"{"v":1,"command":"status","padding":""#
            let suffix = #""}"#
            let fill = String(repeating: "y", count: 64 * 1024 - prefix.utf8.count - suffix.utf8.count)
            let atLimit = try limit.exchange(prefix + fill + suffix)
            #expect(atLimit["ok"] as? Bool == true, "a 65,536-byte line is accepted: \(atLimit)")

            let next = try UnixStreamClient(path: socket.path)
            let status = try next.exchange(#"{"v":1,"command":"status"}"#)
            #expect(status["ok"] as? Bool == true, "\(status)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a request in 3 pieces is answered once complete; pipelined requests are answered in order",
              .timeLimit(.minutes(1)))
        func partialAndPipelinedWrites() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2, "max_workers: 4"))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            let client = try UnixStreamClient(path: socket.path)
            try client.send(#"{"v":1,"comm"#)
            #expect(try client.read(within: .milliseconds(300)) == .nothing, "no answer to a third of a request")
            try client.send(#"and":"sta"#)
            #expect(try client.read(within: .milliseconds(300)) == .nothing, "no answer to two thirds of a request")
            try client.send("tus\"}\n")
            let status = try client.readResponse()
            #expect(status["ok"] as? Bool == true && status["pid"] as? Int == Int(demo.pid), "\(status)")

            // Three requests in one write, the third split across a second one.
            try client.send(#"{"v":1,"command":"status"}"# + "\n" + #"{"v":1,"command":"dance"}"# + "\n"
                            + #"{"v":1,"command":"scale","#)
            let first = try client.readResponse()
            #expect(first["ok"] as? Bool == true && first["services"] != nil, "\(first)")
            Self.expectFailure(try client.readResponse(), "unknown-command")
            #expect(try client.read(within: .milliseconds(300)) == .nothing)
            try client.send(#""service":"printer","workers":3}"# + "\n")
            let scaled = try client.readResponse()
            #expect(scaled["ok"] as? Bool == true && scaled["workers"] as? Int == 3, "\(scaled)")
            _ = try demo.waitForEvent("scaled") { $0.fields["workers"] == "3" }
            client.close()

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("clients that connect and never send (or stop mid-line) delay no one; they are closed after 10 s idle",
              .timeLimit(.minutes(1)))
        func silentClients() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            let connected = ContinuousClock.now
            let silent = try UnixStreamClient(path: socket.path)
            let stalled = try UnixStreamClient(path: socket.path)
            try stalled.send(#"{"v":1,"command":"sta"#)

            let run = try driver.control(socket: socket.path, ["--json", "status"])
            #expect(run.status == .exited(0), "\(run)")
            #expect(run.duration < 2, "answered in \(run.duration) s despite the silent clients")
            let mark = demo.cursor
            let victim = try #require(run.workerPids(of: "printer")[0])
            try driver.signal(victim, SIGKILL)
            let respawn = try demo.waitForEvent("worker-started", from: mark, timeout: .seconds(5)) { $0.worker == 0 }
            #expect(respawn.fields["respawn"] == "true", "\(respawn)")

            #expect(try silent.read(within: .seconds(15)) == .closed, "the silent client is closed")
            let idle = ContinuousClock.now - connected
            #expect(idle >= .seconds(9), "closed after \(idle), before the 10 s idle limit")
            #expect(try stalled.read(within: .seconds(5)) == .closed, "the stalled client is closed")
            let after = try driver.control(socket: socket.path, ["status"])
            #expect(after.status == .exited(0), "\(after)")

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
