import Glibc
import Testing

extension DaemonSuite {
    /// The `sd_notify` wire format, read from a socket the test binds (no systemd needed).
    @Suite
    struct SystemdNotifyTests {
        @Test("READY=1 only once every worker is ready; RELOADING then READY on SIGHUP; STOPPING on SIGTERM",
              .timeLimit(.minutes(1)))
        func lifecycleDatagramsInOrder() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"], environment: ["NOTIFY_SOCKET=\(socket.path)"])
            let first = try socket.waitFor("the first datagram") { _ in true }
            #expect(first.fields["MAINPID"] == "\(demo.pid)", "first datagram: \(first)")
            let ready = try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
            #expect(ready.fields["STATUS"] == "printer 3/3 ready")
            #expect(socket.received.filter { $0.fields["READY"] != nil }.count == 1, "\(socket.received)")
            // In the master's own ordered log, READY=1 follows the third worker-ready.
            let allReady = try demo.waitForEvent("all-ready")
            #expect(demo.events("worker-ready").filter { $0.index < allReady.index }.count == 3)

            try driver.signal(demo.pid, SIGHUP)
            let reloading = try socket.waitFor("RELOADING=1") { $0.fields["RELOADING"] == "1" }
            let microseconds = try #require(reloading.fields["MONOTONIC_USEC"].flatMap { Double($0) },
                                            "MONOTONIC_USEC in the same datagram: \(reloading)")
            #expect(abs(microseconds / 1e6 - reloading.time) < 5, "MONOTONIC_USEC is CLOCK_MONOTONIC")
            let reloaded = try socket.waitFor("READY=1 after the reload") { $0.fields["READY"] == "1" }
            #expect(reloaded.time >= reloading.time)

            try driver.signal(demo.pid, SIGTERM)
            let stopping = try socket.waitFor("STOPPING=1") { $0.fields["STOPPING"] == "1" }
            #expect(stopping.fields["EXTEND_TIMEOUT_USEC"] != nil)
            #expect(try demo.waitForExit().status == .exited(0))
            #expect(!socket.received.contains { $0.fields["WATCHDOG"] != nil }, "no watchdog pings without WATCHDOG_USEC")
            try driver.expectCleanEnd()
        }

        @Test("WATCHDOG=1 every WATCHDOG_USEC/2 from the master", .timeLimit(.minutes(1)))
        func watchdogPingsAtHalfTheInterval() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"],
                                        environment: ["NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=400000"])
            var pings: [Double] = []
            while pings.count < 6 {
                pings.append(try socket.waitFor("WATCHDOG=1") { $0.fields["WATCHDOG"] == "1" }.time)
            }
            let gaps = zip(pings.dropFirst(), pings).map { $0 - $1 }
            // 200 ms apart; generous bounds for a loaded machine: never late by a whole period.
            #expect(gaps.allSatisfy { $0 > 0.1 && $0 < 0.4 }, "gaps between pings: \(gaps)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("no watchdog pings when WATCHDOG_PID names another process", .timeLimit(.minutes(1)))
        func watchdogForAnotherProcessIsIgnored() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "1"],
                                        environment: ["NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=100000", "WATCHDOG_PID=1"])
            _ = try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
            try driver.signal(demo.pid, SIGHUP)
            // Two reload round trips span far more than the 50 ms a ping would need.
            _ = try socket.waitFor("READY=1 after a reload") { $0.fields["READY"] == "1" }
            try driver.signal(demo.pid, SIGHUP)
            _ = try socket.waitFor("READY=1 after a second reload") { $0.fields["READY"] == "1" }
            try demo.stopAndExpectCleanExit()
            #expect(!socket.received.contains { $0.fields["WATCHDOG"] != nil }, "\(socket.received)")
            try driver.expectCleanEnd()
        }

        @Test("workers do not inherit NOTIFY_SOCKET, WATCHDOG_* or LISTEN_*", .timeLimit(.minutes(1)))
        func workersLoseSystemdVariables() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn(
                "cotyledon-fixture", ["hooks", "--workers", "2"],
                environment: ["NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=60000000", "LISTEN_FDS=1", "LISTEN_FDNAMES=x"])
            for id in 0..<2 {
                _ = try fixture.waitForLine("worker \(id) reports its environment") {
                    $0.stream == "stdout" && $0.text == "worker-environment worker=\(id) systemd-variables=none"
                }
            }
            // The master kept NOTIFY_SOCKET: it still notifies after forking.
            _ = try socket.waitFor("READY=1 from the master") { $0.fields["READY"] == "1" }
            // LISTEN_PID is not the master's: the sockets are ignored, with a warning.
            _ = try fixture.waitForEvent("listen-fds-ignored")
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("an unreachable NOTIFY_SOCKET is logged once and never fatal", .timeLimit(.minutes(1)))
        func unreachableSocketIsNotFatal() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"],
                                        environment: ["NOTIFY_SOCKET=/nonexistent/notify.sock"])
            _ = try demo.waitForEvent("all-ready")
            try driver.signal(demo.pid, SIGHUP)
            _ = try demo.waitForEvent("reloading")
            try demo.stopAndExpectCleanExit()
            #expect(demo.events("notify-failed").count == 1, "log:\n\(demo.tail)")
            try driver.expectCleanEnd()
        }
    }
}
