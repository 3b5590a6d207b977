import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// A worker whose `run()` returned while its `terminate()` never returns (a close that
    /// never completes): it says what it waits for and gives up before the master's SIGKILL.
    @Suite
    struct PendingTerminate {
        @Test("run() returned, terminate() pending: waiting-for-terminate, then terminate-timeout and exit 1 before the master's SIGKILL",
              .timeLimit(.minutes(1)))
        func workerReportsAndBoundsAPendingTerminate() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["pending-terminate", "--workers", "1", "--graceful-timeout", "5"])
            let ready = try fixture.waitForEvent("worker-ready")
            let worker = try #require(ready.subjectPid)
            let mark = fixture.cursor
            let signalled = try driver.signal(fixture.pid, SIGTERM)
            _ = try fixture.waitForLine("run() returned", from: mark) { $0.text == "closer run returned worker=0" }
            let waiting = try fixture.waitForEvent("waiting-for-terminate", from: mark) { $0.pid == worker }
            #expect(waiting.fields["service"] == "closer" && waiting.worker == 0, "\(waiting)")
            #expect(waiting.message.contains("waiting for terminate() to return"), "\(waiting)")
            let remaining = try #require(waiting.fields["remaining"].flatMap(Double.init), "remaining= in \(waiting)")
            #expect(remaining > 0 && remaining <= 4.5, "it gives up before the 5 s timeout: \(waiting)")
            let gaveUp = try fixture.waitForEvent("terminate-timeout", from: waiting.index + 1, timeout: .seconds(15)) {
                $0.pid == worker
            }
            #expect(gaveUp.level == "warning", "\(gaveUp)")
            let exited = try fixture.waitForEvent("worker-exited", from: gaveUp.index + 1) { $0.subjectPid == worker }
            #expect(exited.fields["status"] == "exited:1" && exited.fields["reason"] == "stopped", "\(exited)")
            let exit = try fixture.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(0), "master exit status; log tail:\n\(fixture.tail)")
            #expect(exit.time - signalled < 15, "the stop is bounded by the graceful timeout: \(exit.time - signalled) s")
            try driver.expectCleanEnd()
        }
    }
}
