import Testing

extension DaemonSuite.ControlSocketTests {
    /// `cotyledonctl` facing answers a real daemon never gives, from a scripted stand-in:
    /// each maps to its exit status with a message.
    @Suite
    struct ClientErrors {
        /// Runs `cotyledonctl <arguments>` against a stand-in answering with `script`.
        private static func run(
            _ script: ScriptedControlServer.Script, _ arguments: [String], driver: Driver
        ) throws -> ControlRun {
            let socket = try ControlSocketFixture()
            let server = try ScriptedControlServer(path: socket.path, script: script)
            defer { server.stop() }
            return try driver.control(socket: socket.path, arguments)
        }

        @Test("garbage, a cut line, a wrong shape or version → 76; silence → 75 after 5 s; a well-formed refusal → 1",
              .timeLimit(.minutes(1)))
        func protocolErrors() throws {
            let driver = try Driver()
            defer { driver.close() }

            let garbage = try Self.run(.reply("hello\n"), ["status"], driver: driver)
            #expect(garbage.status == .exited(76) && garbage.stderr.contains("not a JSON object"), "\(garbage)")

            let cut = try Self.run(.reply(#"{"v":1,"ok":"#), ["scale", "printer", "2"], driver: driver)
            #expect(cut.status == .exited(76) && cut.stderr.contains("closed the connection"), "\(cut)")

            let nothing = try Self.run(.reply(""), ["stop"], driver: driver)
            #expect(nothing.status == .exited(76) && nothing.stderr.contains("closed the connection"), "\(nothing)")

            let noOK = try Self.run(.reply(#"{"v":1}"# + "\n"), ["log-level", "info"], driver: driver)
            #expect(noOK.status == .exited(76), "\(noOK)")

            let version = try Self.run(.reply(#"{"v":2,"ok":true}"# + "\n"), ["reload"], driver: driver)
            #expect(version.status == .exited(76) && version.stderr.contains("version 2"), "\(version)")

            // A status of the wrong shape: the table cannot be made; --json passes it through.
            let shape = #"{"v":1,"ok":true,"pid":"one"}"#
            let table = try Self.run(.reply(shape + "\n"), ["status"], driver: driver)
            #expect(table.status == .exited(76), "\(table)")
            let raw = try Self.run(.reply(shape + "\n"), ["--json", "status"], driver: driver)
            #expect(raw.status == .exited(0) && raw.stdout == shape, "\(raw)")

            let refused = try Self.run(.reply(#"{"v":1,"ok":false,"code":"stopping","error":"the daemon is stopping"}"# + "\n"),
                                       ["restart", "printer"], driver: driver)
            #expect(refused.status == .exited(1) && refused.stderr.contains("the daemon is stopping [stopping]"), "\(refused)")

            let silent = try Self.run(.silence, ["status"], driver: driver)
            #expect(silent.status == .exited(75) && silent.stderr.contains("in time"), "\(silent)")
            #expect(silent.duration >= 4.5 && silent.duration < 10, "gave up after \(silent.duration) s, not 5")

            try driver.expectCleanEnd()
        }
    }
}
