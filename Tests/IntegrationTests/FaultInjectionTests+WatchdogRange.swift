import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// `WATCHDOG_USEC` outside any sane range: a huge value overflowed the master's deadline
    /// arithmetic (SIGILL, exit 132), a tiny one made it ping in a busy loop.
    @Suite
    struct WatchdogOutOfRange {
        @Test("WATCHDOG_USEC=20000000000000000: no crash, watchdog-clamped warning, READY=1, clean stop",
              .timeLimit(.minutes(1)))
        func hugeTimeoutIsClamped() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"],
                                        environment: ["NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=20000000000000000"])
            let warning = try demo.waitForEvent("watchdog-clamped")
            #expect(warning.pid == demo.pid && warning.level == "warning", "\(warning)")
            #expect(warning.message.contains("WATCHDOG_USEC=20000000000000000"), "\(warning)")
            try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
            try demo.stopAndExpectCleanExit()
            socket.readWaiting()
            #expect(!socket.received.contains { $0.fields["WATCHDOG"] != nil }, "a ping every 12 h: none yet")
            try driver.expectCleanEnd()
        }

        @Test("WATCHDOG_USEC=1: watchdog-clamped warning, at most one WATCHDOG=1 per 0.1 s of the master's life",
              .timeLimit(.minutes(1)))
        func tinyTimeoutIsClampedToTheFloor() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"],
                                        environment: ["NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=1"])
            // Reading as they come: the count is bounded by the master's pace, not by the reader's.
            var pings = 0
            while pings < 15 {
                try socket.waitFor("WATCHDOG=1") { $0.fields["WATCHDOG"] == "1" }
                pings += 1
            }
            let lastPing = try #require(socket.received.last).time
            let started = try #require(try demo.waitForEvent("master-started").mono)
            // The first ping is due 0.1 s after the start, each next 0.1 s after the previous one.
            let bound = (lastPing - started) / 0.1 + 2
            #expect(Double(pings) <= bound, "\(pings) pings in \(lastPing - started) s; log:\n\(demo.tail)")
            let warning = try demo.waitForEvent("watchdog-clamped")
            #expect(warning.pid == demo.pid && warning.level == "warning", "\(warning)")
            #expect(warning.fields["interval"] == "0.1", "\(warning)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
