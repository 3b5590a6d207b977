import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// Services that fail: a `run()` that throws, a `terminate()` that never returns.
    @Suite
    struct FailureModeTests {
        @Test("run() throws: the worker exits 1, is reported as a crash and respawned", .timeLimit(.minutes(1)))
        func throwingRunIsRespawned() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["throwing", "--workers", "1"])
            let failed = try fixture.waitForEvent("run-failed")
            #expect(failed.pid != fixture.pid, "run-failed is logged in the worker")
            #expect(failed.fields["service"] == "thrower")
            #expect(failed.fields["error"]?.isEmpty == false)
            let id = try #require(failed.worker)
            let exited = try fixture.waitForEvent("worker-exited", from: failed.index + 1) {
                $0.subjectPid == failed.pid
            }
            #expect(exited.fields["status"] == "exited:1")
            #expect(exited.fields["reason"] == "crash")
            #expect(exited.worker == id)
            let respawned = try fixture.waitForEvent("worker-started", from: exited.index + 1, timeout: .seconds(20)) {
                $0.worker == id
            }
            #expect(respawned.fields["respawn"] == "true")
            #expect(respawned.subjectPid != failed.pid)
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("terminate() hangs: SIGKILL after the graceful timeout, master exits 0", .timeLimit(.minutes(1)))
        func hangingTerminateIsKilled() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["hanging-terminate", "--workers", "2",
                                                                 "--graceful-timeout", "1"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            #expect(ready.allSatisfy { $0.fields["service"] == "hanger" })
            let mark = fixture.cursor
            let stop = try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(10))
            let timeouts = fixture.events("stop-timeout").filter { $0.index >= mark }
            #expect(Set(timeouts.compactMap(\.subjectPid)) == Set(ready.compactMap(\.subjectPid)),
                    "event=stop-timeout for each worker; log:\n\(fixture.tail)")
            let timeout = try #require(timeouts.first)
            #expect(timeout.fields["service"] == "hanger")
            let exited = fixture.events("worker-exited").filter { $0.index >= mark }
            #expect(exited.count == 2 && exited.allSatisfy { $0.fields["status"] == "killed:SIGKILL" },
                    "the hanging workers are killed: \(exited)")
            if let mono = timeout.mono {
                #expect(mono - stop.signalled >= 0.9, "the graceful timeout (1 s) was granted before stop-timeout")
            } else {
                Issue.record("stop-timeout has no mono=: \(timeout)")
            }
            #expect(stop.exited - stop.signalled < 5, "exit \(stop.exited - stop.signalled) s after SIGTERM")
            try driver.expectCleanEnd()
        }
    }
}
