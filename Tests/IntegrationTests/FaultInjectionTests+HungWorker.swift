import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// A worker whose `run()` spins on the main actor without suspending: its heartbeat stops.
    @Suite
    struct HungWorker {
        @Test("heartbeat stops: heartbeat-timeout (SIGABRT), heartbeat-kill after the grace, killed:SIGKILL, respawned and ready again",
              .timeLimit(.minutes(1)))
        func spinningWorkerIsAbortedKilledAndRespawned() throws {
            let driver = try Driver()
            defer { driver.close() }
            // Heartbeat timeout 1 s (the spinner's), graceful timeout 1 s for the final stop: the
            // respawned worker spins too and can only be killed.
            let fixture = try driver.spawn("cotyledon-fixture", ["spin", "--workers", "1", "--graceful-timeout", "1"])
            let ready = try fixture.waitForEvent("worker-ready")
            let hung = try #require(ready.subjectPid)
            _ = try fixture.waitForLine("the worker spins") { $0.stream == "stdout" && $0.text == "spinning worker=0" }
            let timeout = try fixture.waitForEvent("heartbeat-timeout", timeout: .seconds(10)) { $0.subjectPid == hung }
            #expect(timeout.fields["service"] == "spinner" && timeout.worker == 0, "\(timeout)")
            let kill = try fixture.waitForEvent("heartbeat-kill", from: timeout.index + 1, timeout: .seconds(10)) {
                $0.subjectPid == hung
            }
            #expect(kill.fields["service"] == "spinner" && kill.worker == 0, "\(kill)")
            // The grace between SIGABRT and SIGKILL equals the heartbeat timeout (1 s).
            let grace = (kill.mono ?? 0) - (timeout.mono ?? 0)
            #expect(grace >= 0.9, "SIGKILL \(grace) s after SIGABRT")
            let exited = try fixture.waitForEvent("worker-exited", from: kill.index + 1) { $0.subjectPid == hung }
            #expect(exited.fields["status"] == "killed:SIGKILL" && exited.fields["reason"] == "crash", "\(exited)")
            let respawned = try fixture.waitForEvent("worker-started", from: exited.index + 1) { $0.worker == 0 }
            #expect(respawned.fields["respawn"] == "true" && respawned.subjectPid != hung, "\(respawned)")
            _ = try fixture.waitForEvent("worker-ready", from: respawned.index + 1) { $0.subjectPid == respawned.subjectPid }
            #expect(fixture.events("respawn-delayed").isEmpty, "it had been up longer than the minimum uptime")
            // The master stayed responsive throughout: a graceful stop still ends in exit 0.
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            try driver.expectCleanEnd()
        }
    }
}
