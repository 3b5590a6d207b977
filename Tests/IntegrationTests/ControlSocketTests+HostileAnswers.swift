import Foundation
import Testing

extension DaemonSuite.ControlSocketTests {
    /// `cotyledonctl` facing a socket that answers with escape sequences and newlines in its
    /// texts: nothing of them reaches the terminal raw, and no line of output is forged.
    @Suite
    struct HostileAnswers {
        /// Runs `cotyledonctl <arguments>` against a stand-in answering `answer` and a newline.
        private static func run(_ answer: String, _ arguments: [String], driver: Driver) throws -> ControlRun {
            let socket = try ControlSocketFixture()
            let server = try ScriptedControlServer(path: socket.path, script: .reply(answer + "\n"))
            defer { server.stop() }
            return try driver.control(socket: socket.path, arguments)
        }

        @Test("ESC, C1, bidi controls and newlines in a status, a refusal, metrics and --json: printed escaped, no forged line",
              .timeLimit(.minutes(1)))
        func controlCharactersAreEscaped() throws {
            let driver = try Driver()
            defer { driver.close() }

            let status = try Self.run(#"""
                {"v":1,"ok":true,"pid":1,"phase":"running\u001b[2J","services":[{"name":"printer\nFORGED row",\#
                "configured":1,"running":1,"ready":1,"restarts":0,"workers":[{"id":0,"pid":2,"state":"ready\u009b31m",\#
                "uptime":1,"restarts":0,"lastExit":"killed\u202e"}]}]}
                """#, ["status"], driver: driver)
            #expect(status.status == .exited(0), "\(status)")
            #expect(TerminalText.unsafeLines(of: status.stdout, forged: "FORGED").isEmpty, "\(status.stdout.debugDescription)")
            #expect(status.stdout.contains(#"master 1 running\u001b[2J"#) && status.stdout.contains(#"printer\nFORGED row:"#)
                    && status.stdout.contains(#"ready\u009b31m"#) && status.stdout.contains(#"killed\u202e"#),
                    "\(status.stdout)")

            let refused = try Self.run(#"{"v":1,"ok":false,"code":"stopping\u001b[0m","error":"no\nFORGED\u0007"}"#,
                                       ["stop"], driver: driver)
            #expect(refused.status == .exited(1), "\(refused)")
            #expect(TerminalText.unsafeLines(of: refused.stderr, forged: "FORGED").isEmpty, "\(refused.stderr.debugDescription)")
            #expect(refused.stderr.contains(#"no\nFORGED\u0007 [stopping\u001b[0m]"#), "\(refused.stderr)")

            let garbage = try Self.run("\u{1b}]0;owned\u{7}\u{9b}2J", ["status"], driver: driver)
            #expect(garbage.status == .exited(76), "\(garbage)")
            #expect(TerminalText.unsafeLines(of: garbage.stderr, forged: "FORGED").isEmpty, "\(garbage.stderr.debugDescription)")

            let metrics = try Self.run(#"{"v":1,"ok":true,"text":"a 1\n\u001b[2Jb 2\n"}"#, ["metrics"], driver: driver)
            #expect(metrics.status == .exited(0) && metrics.stdout == #"a 1"# + "\n" + #"\u001b[2Jb 2"#, "\(metrics)")

            // Raw DEL, C1 and bidi controls may stand in a JSON string: --json escapes them and
            // stays the same JSON.
            let raw = "{\"v\":1,\"ok\":true,\"phase\":\"x\u{7f}\u{9b}31m\u{202e}\"}"
            let json = try Self.run(raw, ["--json", "status"], driver: driver)
            #expect(json.status == .exited(0) && TerminalText.controls(in: json.stdout).isEmpty, "\(json.stdout.debugDescription)")
            #expect(json.json?["phase"] as? String == "x\u{7f}\u{9b}31m\u{202e}", "\(json.stdout)")

            try driver.expectCleanEnd()
        }
    }
}
