import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// Signals sent to one worker directly (as an operator or the OOM killer would).
    @Suite
    struct WorkerSignalTests {
        @Test("SIGTERM to a worker: it stops gracefully and is respawned with the same id", .timeLimit(.minutes(1)))
        func terminatedWorkerIsRespawned() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"])
            let ready = try demo.waitForEvents("worker-ready", count: 3)
            let victim = try #require(ready.first { $0.worker == 1 })
            let victimPid = try #require(victim.subjectPid)

            let mark = demo.cursor
            try driver.signal(victimPid, SIGTERM)
            let exited = try demo.waitForEvent("worker-exited", from: mark) { $0.subjectPid == victimPid }
            #expect(exited.pid == demo.pid, "logged by the master")
            #expect(exited.fields["service"] == "printer")
            #expect(exited.worker == 1)
            #expect(exited.fields["status"] == "exited:0", "a worker asked to terminate exits 0: \(exited)")
            let terminating = demo.events("worker-terminate").filter { $0.index >= mark && $0.pid == victimPid }
            #expect(terminating.count == 1, "event=worker-terminate in the worker; log:\n\(demo.tail)")

            let started = try demo.waitForEvent("worker-started", from: exited.index + 1) { $0.worker == 1 }
            #expect(started.fields["respawn"] == "true")
            #expect(started.fields["service"] == "printer")
            let newPid = try #require(started.subjectPid)
            #expect(newPid != victimPid)
            _ = try demo.waitForEvent("worker-ready", from: started.index + 1) {
                $0.worker == 1 && $0.subjectPid == newPid
            }
            let others = demo.events("worker-started").filter { $0.index >= mark && $0.worker != 1 }
            #expect(others.isEmpty, "only worker 1 was restarted: \(others)")

            let processes = try driver.ps()
            #expect(processes.workerIDs(of: demo.pid, service: "printer") == [0, 1, 2])
            #expect(processes.process(newPid)?.comm == "printer/1")
            #expect(processes.process(victimPid) == nil, "the old worker is gone (not even a zombie)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("SIGHUP to a worker: it reloads in place and keeps running", .timeLimit(.minutes(1)))
        func hangupReloadsWorkerInPlace() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"])
            let ready = try demo.waitForEvents("worker-ready", count: 3)
            let target = try #require(ready.first { $0.worker == 2 })
            let targetPid = try #require(target.subjectPid)

            let mark = demo.cursor
            try driver.signal(targetPid, SIGHUP)
            let reload = try demo.waitForEvent("worker-reload", from: mark) { $0.pid == targetPid }
            #expect(reload.fields["service"] == "printer")
            #expect(reload.worker == 2)
            let otherReloads = demo.events("worker-reload").filter { $0.index >= mark && $0.pid != targetPid }
            #expect(otherReloads.isEmpty, "only the signalled worker reloads: \(otherReloads)")

            let processes = try driver.ps()
            let worker = try #require(processes.process(targetPid), "the reloaded worker is still there")
            #expect(worker.state != "Z")
            #expect(worker.comm == "printer/2")
            #expect(worker.ppid == demo.pid)
            let exits = demo.events("worker-exited").filter { $0.index >= mark }
            #expect(exits.isEmpty, "no worker exited: \(exits)")

            let stopMark = demo.cursor
            try demo.stopAndExpectCleanExit()
            // The worker exited only once, at the stop: the reload was not a restart.
            let targetExits = demo.events("worker-exited").filter { $0.subjectPid == targetPid }
            #expect(targetExits.count == 1 && targetExits.allSatisfy { $0.index >= stopMark })
            try driver.expectCleanEnd()
        }
    }
}
