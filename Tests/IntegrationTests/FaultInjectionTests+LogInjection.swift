import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// Text from outside the daemon — here a configuration key — in its log: it can neither
    /// start a line of its own nor put a control character on the terminal.
    @Suite
    struct LogInjection {
        @Test("a configuration key with a newline, ESC, NUL, NEL and U+202E, applied by SIGHUP: reload-failed carries it escaped, no line is forged or holds a raw control",
              .timeLimit(.minutes(1)))
        func hostileKeyIsEscaped() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 1))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvent("all-ready")
            // YAML double-quoted escapes: \n newline, \e ESC, \0 NUL, \N NEL (U+0085), \u202e.
            try file.write(#""a\nFORGED master exiting\e[31m\0\N\u202ez": 1"# + "\n" + ConfigurationFixture.printer(workers: 1))
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            let failure = try demo.waitForEvent("reload-failed", from: mark)
            let key = "a\nFORGED master exiting\u{1b}[31m\u{0}\u{85}\u{202e}z"
            let error = try #require(failure.fields["error"], "\(failure)")
            #expect(error.contains(key), "the error field reads back with the key as it is: \(error.debugDescription)")
            #expect(failure.text.contains(#"\nFORGED master exiting\u001b[31m\u0000\u0085\u202ez"#),
                    "the line shows the key escaped: \(failure.text.debugDescription)")
            // The daemon still answers: a reload with a good file completes.
            try file.write(ConfigurationFixture.printer(workers: 1))
            let mark2 = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            _ = try demo.waitForEvent("reload-complete", from: mark2)
            let unsafe = demo.lines.map(\.text).filter { !TerminalText.unsafeLines(of: $0, forged: "FORGED").isEmpty }
            #expect(unsafe.isEmpty, "lines starting with the key's text or holding a raw control: \(unsafe.map(\.debugDescription))")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
