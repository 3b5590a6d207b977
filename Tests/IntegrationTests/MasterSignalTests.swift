import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// Signals sent to the master: stop, fast stop, reload, kill.
    @Suite
    struct MasterSignalTests {
        @Test("SIGTERM to the master: terminate hook, every worker stops, exit 0", .timeLimit(.minutes(1)))
        func gracefulStopRunsHooks() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["hooks", "--workers", "2"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            let workerPids = Set(ready.compactMap(\.subjectPid))
            for id in 0..<2 {
                _ = try fixture.waitForLine("hook=new-worker for worker \(id)") {
                    $0.stream == "stdout" && $0.text == "hook=new-worker service=fixture id=0 worker=\(id)"
                }
            }

            let mark = fixture.cursor
            try fixture.stopAndExpectCleanExit(with: SIGTERM)
            let after = fixture.lines.filter { $0.index >= mark }
            #expect(after.contains { $0.stream == "stdout" && $0.text == "hook=terminate" },
                    "stdout hook=terminate; log:\n\(fixture.tail)")
            let signal = fixture.events("signal").filter { $0.index >= mark }
            #expect(signal.map { $0.fields["signal"] } == ["SIGTERM"])
            #expect(fixture.events("stopping").last?.fields["mode"] == "graceful")
            let exits = fixture.events("worker-exited").filter { $0.index >= mark }
            #expect(Set(exits.compactMap(\.subjectPid)) == workerPids, "every worker exited: \(exits)")
            #expect(exits.allSatisfy { $0.fields["status"] == "exited:0" && $0.fields["reason"] == "stopped" },
                    "graceful stops: \(exits)")
            let terminates = fixture.events("worker-terminate").filter { $0.index >= mark }
            #expect(Set(terminates.map(\.pid)) == workerPids, "each worker logged worker-terminate: \(terminates)")
            try driver.expectCleanEnd()
        }

        @Test("SIGINT to the master: fast exit 0, nothing left", .timeLimit(.minutes(1)))
        func interruptExitsFast() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"])
            _ = try demo.waitForEvents("worker-ready", count: 3)
            let mark = demo.cursor
            let signalled = try driver.signal(demo.pid, SIGINT)
            let exit = try demo.waitForExit()
            #expect(exit.status == .exited(0), "log:\n\(demo.tail)")
            #expect(demo.events("stopping").filter { $0.index >= mark }.map { $0.fields["mode"] } == ["fast"])
            #expect(exit.time - signalled < 5, "fast")
            try driver.expectCleanEnd()
        }

        @Test("SIGHUP to the master: reload hook, every worker reloads", .timeLimit(.minutes(1)))
        func hangupReloadsEveryWorker() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["hooks", "--workers", "3"])
            _ = try fixture.waitForEvents("worker-ready", count: 3)
            let mark = fixture.cursor
            try driver.signal(fixture.pid, SIGHUP)
            _ = try fixture.waitForLine("hook=reload", from: mark) { $0.stream == "stdout" && $0.text == "hook=reload" }
            for id in 0..<3 {
                _ = try fixture.waitForLine("service-reload for worker \(id)", from: mark) {
                    $0.stream == "stdout" && $0.text == "service-reload worker=\(id)"
                }
            }
            _ = try fixture.waitForEvent("reloading", from: mark)
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("SIGKILL to the master: every worker is gone within 1 s", .timeLimit(.minutes(1)))
        func killedMasterTakesWorkersDown() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"])
            let ready = try demo.waitForEvents("worker-ready", count: 3)
            let workerPids = ready.compactMap(\.subjectPid)
            #expect(workerPids.count == 3)
            try driver.signal(demo.pid, SIGKILL)
            let masterExit = try demo.waitForExit()
            #expect(masterExit.status == .killed("SIGKILL"))
            // Orphaned workers are re-parented to the driver (a subreaper), which reaps them.
            let workerExits = try workerPids.map { try driver.waitForReap(of: $0, timeout: .seconds(5)) }
            let last = try #require(workerExits.map(\.time).max())
            #expect(last - masterExit.time < 1.0, "workers outlived the master by \(last - masterExit.time) s")
            let orphaned = Set(demo.events("orphaned").map(\.pid))
            #expect(orphaned == Set(workerPids), "each worker logged event=orphaned; log:\n\(demo.tail)")
            try driver.expectCleanEnd()
        }

        /// The brief said "as soon as the driver reports the spawn"; a SIGTERM then reaches a
        /// program still being loaded and takes its default action, as for any program. The
        /// driver sends it itself on the first `worker-started` line instead: the master is then
        /// in the middle of starting 10 workers, and the just-forked ones get the stop too.
        @Test("SIGTERM during startup: clean exit 0, no worker started after the signal", .timeLimit(.minutes(1)))
        func stopDuringStartup() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "10"],
                                        trigger: .init(match: "event=worker-started", signal: "SIGTERM"))
            let sent = try demo.waitForTrigger()
            let exit = try demo.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(0), "log:\n\(demo.tail)")
            let signal = try #require(demo.events("signal").first { $0.fields["signal"] == "SIGTERM" },
                                      "event=signal signal=SIGTERM; log:\n\(demo.tail)")
            // What the test is about: the signal was sent before the master had all workers ready
            // (it may still handle the readiness reports of the same batch first).
            if let allReady = demo.events("all-ready").first {
                #expect(sent < allReady.mono ?? 0, "SIGTERM was sent at \(sent), after all-ready: \(allReady)")
            }
            let lateStarts = demo.events("worker-started").filter { $0.index > signal.index }
            #expect(lateStarts.isEmpty, "workers started after SIGTERM was handled: \(lateStarts)")
            let started = Set(demo.events("worker-started").compactMap(\.subjectPid))
            let exits = demo.events("worker-exited")
            #expect(Set(exits.compactMap(\.subjectPid)) == started, "every started worker was reaped by the master")
            let unclean = exits.filter { $0.fields["status"] != "exited:0" || $0.fields["reason"] != "stopped" }
            #expect(unclean.isEmpty, "every worker, even one forked just before the stop, stops gracefully: \(unclean)")
            try driver.waitForNoDescendants()
            #expect(driver.reapedPids == [demo.pid], "the driver reaped no orphaned worker")
            try driver.expectCleanEnd()
        }
    }
}
