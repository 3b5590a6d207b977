import Glibc
import Testing

extension DaemonSuite {
    /// Restart backoff, stop escalation, blocking services and failing hooks.
    @Suite
    struct SupervisionPolicyTests {
        @Test("a worker that keeps failing early waits an increasing delay; the master does not", .timeLimit(.minutes(1)))
        func crashLoopBacksOffPerWorker() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["throwing", "--workers", "1"])
            // 3 early failures are respawned at once, the 4th waits ~100 ms, the 5th ~200 ms.
            let first = try fixture.waitForEvent("respawn-delayed", timeout: .seconds(20))
            #expect(first.fields["failures"] == "4", "\(first)")
            let second = try fixture.waitForEvent("respawn-delayed", from: first.index + 1, timeout: .seconds(20))
            #expect(second.fields["failures"] == "5", "\(second)")
            let firstDelay = try #require(first.fields["delay"].flatMap(Double.init))
            let secondDelay = try #require(second.fields["delay"].flatMap(Double.init))
            #expect(firstDelay >= 0.08 && firstDelay <= 0.12, "100 ms ± 20 %: \(firstDelay)")
            #expect(secondDelay >= 0.16 && secondDelay <= 0.24, "200 ms ± 20 %: \(secondDelay)")
            // The respawn waited for its delay (a lower bound: safe on a loaded machine).
            let respawn = try fixture.waitForEvent("worker-started", from: first.index + 1)
            let waited = (respawn.mono ?? 0) - (first.mono ?? 0)
            #expect(waited >= firstDelay * 0.95, "respawned after \(waited) s, delay \(firstDelay) s")
            // The master kept handling signals meanwhile.
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("by default the master never gives up on workers that became ready, however often they are killed",
              .timeLimit(.minutes(1)))
        func defaultPolicyKeepsAHealthyPool() throws {
            let driver = try Driver()
            defer { driver.close() }
            // Default restart settings: no --max-restarts. 12 kills (more than the old limit of
            // 10 in 60 s) spread over 4 slots, 3 each: no slot reaches its backoff.
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "4"])
            var ready = try demo.waitForEvents("worker-ready", count: 4)
            for round in 0..<12 {
                let slot = round % 4
                let victim = try #require(ready.first { $0.worker == slot }?.subjectPid, "round \(round)")
                let mark = demo.cursor
                try driver.signal(victim, SIGKILL)
                let replacement = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == slot }
                #expect(replacement.subjectPid != victim, "round \(round)")
                ready = ready.filter { $0.worker != slot } + [replacement]
            }
            let crashes = demo.events("worker-exited").filter { $0.fields["reason"] == "crash" }
            #expect(crashes.count == 12, "log:\n\(demo.tail)")
            #expect(demo.events("give-up").isEmpty && demo.events("respawn-delayed").isEmpty, "log:\n\(demo.tail)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a SIGTERM or SIGINT sent straight to a worker: reason=outside-signal, a warning with the sender's pid, respawned at once, no failure counted",
              .timeLimit(.minutes(1)))
        func outsideStopSignalIsNotACrash() throws {
            let driver = try Driver()
            defer { driver.close() }
            // With --max-restarts 1, a second exit counted as a failure would give up.
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2", "--max-restarts", "1"])
            var ready = try demo.waitForEvents("worker-ready", count: 2)
            for (round, signal) in [SIGTERM, SIGINT, SIGTERM, SIGINT].enumerated() {
                let victim = try #require(ready.first { $0.worker == 0 }?.subjectPid, "round \(round)")
                let mark = demo.cursor
                try driver.signal(victim, signal)
                let exit = try demo.waitForEvent("worker-exited", from: mark) { $0.subjectPid == victim }
                #expect(exit.pid == demo.pid && exit.level == "warning", "\(exit)")
                #expect(exit.fields["reason"] == "outside-signal" && exit.fields["status"] == "exited:0", "\(exit)")
                #expect(exit.fields["sender"] == "\(driver.driverPid)", "the driver sent it: \(exit)")
                #expect(exit.fields["signal"] == (signal == SIGTERM ? "SIGTERM" : "SIGINT"), "\(exit)")
                let started = try demo.waitForEvent("worker-started", from: exit.index) { $0.worker == 0 }
                #expect(started.fields["respawn"] == "true", "\(started)")
                ready = [try demo.waitForEvent("worker-ready", from: started.index) { $0.worker == 0 }]
            }
            #expect(demo.events("respawn-delayed").isEmpty && demo.events("give-up").isEmpty, "log:\n\(demo.tail)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("external kills of healthy workers are replaced at once, without backoff", .timeLimit(.minutes(1)))
        func externalKillsAreNotDelayed() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"])
            var ready = try demo.waitForEvents("worker-ready", count: 2)
            for round in 1...3 {
                let victim = try #require(ready.first { $0.worker == 0 }?.subjectPid)
                let mark = demo.cursor
                try driver.signal(victim, SIGKILL)
                let replacement = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 0 }
                #expect(replacement.subjectPid != victim, "round \(round)")
                ready = [replacement]
            }
            #expect(demo.events("respawn-delayed").isEmpty, "log:\n\(demo.tail)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("SIGINT during a graceful stop turns it into a fast stop", .timeLimit(.minutes(1)))
        func secondSignalEscalates() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["hanging-terminate", "--workers", "2", "--graceful-timeout", "30"])
            _ = try fixture.waitForEvents("worker-ready", count: 2)
            try driver.signal(fixture.pid, SIGTERM)
            _ = try fixture.waitForEvent("stopping") { $0.fields["mode"] == "graceful" }
            for id in 0..<2 {
                _ = try fixture.waitForLine("terminate() of worker \(id) runs") {
                    $0.stream == "stdout" && $0.text == "hanger terminate called worker=\(id)"
                }
            }
            try driver.signal(fixture.pid, SIGINT)
            _ = try fixture.waitForEvent("stopping") { $0.fields["mode"] == "fast" }
            // Far sooner than the 30 s graceful timeout.
            let exit = try fixture.waitForExit(timeout: .seconds(10))
            #expect(exit.status == .exited(0), "log:\n\(fixture.tail)")
            try driver.expectCleanEnd()
        }

        @Test("a blocking loop in runBlocking stops on SIGTERM without being killed", .timeLimit(.minutes(1)))
        func blockingLoopStops() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["blocking", "--workers", "2", "--graceful-timeout", "20"])
            for id in 0..<2 {
                _ = try fixture.waitForLine("worker \(id) ticking") { $0.stream == "stdout" && $0.text == "blocking tick worker=\(id)" }
            }
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(10))
            for id in 0..<2 {
                #expect(fixture.lines.contains { $0.text == "blocking loop ended worker=\(id)" })
            }
            #expect(fixture.events("stop-timeout").isEmpty)
            #expect(fixture.events("worker-exited").allSatisfy { $0.fields["status"] == "exited:0" })
            try driver.expectCleanEnd()
        }

        @Test("a throwing hook is logged by name and the next hooks still run; worker hooks get the service's name and id",
              .timeLimit(.minutes(1)))
        func throwingHookDoesNotStopOthers() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["hooks", "--workers", "1"])
            _ = try fixture.waitForEvent("all-ready")
            try fixture.stopAndExpectCleanExit()
            let failure = try #require(fixture.events("hook-failed").first, "log:\n\(fixture.tail)")
            #expect(failure.fields["name"] == "failing" && failure.fields["hook"] == "terminate")
            #expect(fixture.lines.contains { $0.stream == "stdout" && $0.text == "hook=terminate" })
            #expect(fixture.lines.contains { $0.stream == "stdout" && $0.text.hasPrefix("hook=dead-worker service=fixture id=0 worker=0 status=exited:0") })
            try driver.expectCleanEnd()
        }
    }
}
