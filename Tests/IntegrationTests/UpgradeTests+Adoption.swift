import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.UpgradeTests {
    @Test("a worker stopping at the execve is adopted as stopping: the new image kills it at its graceful timeout and reaps it",
          .timeLimit(.minutes(2)))
    func aWorkerStoppingAtTheExecIsKilledByTheNewImage() throws {
        let driver = try Driver()
        defer { driver.close() }
        let executable = driver.runtimeDirectory + "/stubborn-daemon"
        try Deployment.install(copyOf: try BuildProducts.path(of: "cotyledon-fixture"), at: executable)
        // The workers ignore SIGTERM: a stop lasts the whole graceful timeout, long enough for
        // the check and the execve to happen while worker 1 is stopping.
        let graceful = 10.0
        let daemon = try driver.spawn(path: executable,
                                      argv: [executable, "ignore-term", "--workers", "2", "--graceful-timeout", "\(Int(graceful))"])
        let ready = try daemon.waitForEvents("worker-ready", count: 2, timeout: .seconds(30))
        for id in 0..<2 {
            _ = try daemon.waitForLine("worker \(id) ignores SIGTERM") {
                $0.stream == "stdout" && $0.text == "stubborn ignoring SIGTERM worker=\(id)"
            }
        }
        let stopped = try #require(ready.first { $0.worker == 1 }?.subjectPid, "\(ready)")
        let mark = daemon.cursor
        // SIGTTOU scales the service down to one worker: worker 1 is asked to stop.
        try driver.signal(daemon.pid, SIGTTOU)
        let stopping = try daemon.waitForEvent("worker-stopping", from: mark) { $0.subjectPid == stopped }
        #expect(stopping.fields["reason"] == "scaled-down", "\(stopping)")
        try driver.signal(daemon.pid, SIGUSR2)
        let exec = try daemon.waitForEvent("upgrade-exec", from: mark, timeout: .seconds(30))
        try #require(!daemon.events("worker-exited").contains { $0.index < exec.index && $0.subjectPid == stopped },
                     "worker 1 was still stopping at the execve: \(daemon.tail)")
        let adopted = try daemon.waitForEvent("upgrade-adopted", from: exec.index, timeout: .seconds(30))
        #expect(adopted.fields["workers"] == "2", "both workers adopted, the stopping one too: \(adopted)")

        // The new image keeps the stop going: SIGKILL at the graceful timeout, then the reap.
        let timeout = try daemon.waitForEvent("stop-timeout", from: adopted.index, timeout: .seconds(60)) { $0.subjectPid == stopped }
        let exited = try daemon.waitForEvent("worker-exited", from: adopted.index, timeout: .seconds(30)) { $0.subjectPid == stopped }
        #expect(exited.fields["status"] == "killed:SIGKILL" && exited.fields["reason"] == "scaled-down", "\(exited)")
        let granted = try #require(timeout.mono, "stop-timeout has mono=") - (try #require(stopping.mono, "worker-stopping has mono="))
        #expect(granted >= graceful - 0.1, "the stop was granted the whole graceful timeout: \(granted) s")
        #expect(!driver.reapedPids.contains(stopped), "the master reaped it, not the driver")
        _ = try daemon.waitForEvent("upgrade-complete", from: adopted.index, timeout: .seconds(60))
        try daemon.stopAndExpectCleanExit(timeout: .seconds(60))
        try driver.expectCleanEnd()
    }

    @Test("SIGTERM pending across the execve: the new image adopts the workers, then stops cleanly with status 0",
          .timeLimit(.minutes(2)))
    func aStopPendingAcrossTheExecEndsCleanly() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let old = try daemon.status().pids
        let real = driver.runtimeDirectory + "/answerer-real"
        try Deployment.install(copyOf: daemon.executable, at: real)
        let fifo = driver.runtimeDirectory + "/go.fifo"
        guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
        // The new image, still a shell in the master's process, waits for the test before it
        // becomes the real program.
        try daemon.replaceExecutable(withScript: """
            if [ -n "$COTYLEDON_UPGRADE_STATE" ]; then echo new image waiting; read line < '\(fifo)'; fi
            exec '\(real)' "$@"
            """)
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        _ = try daemon.process.waitForLine("the new image's shell", from: mark, timeout: .seconds(30)) {
            $0.stream == "stdout" && $0.text == "new image waiting"
        }
        // The signal mask crosses the execve: SIGTERM stays blocked, so it waits for the new
        // image's signalfd.
        let blocked = try #require(try ProcStatus.fields(of: daemon.process.pid)["SigBlk"].flatMap { UInt64($0, radix: 16) })
        try #require(blocked & ProcStatus.bit(SIGTERM) != 0, "SIGTERM is blocked in the new image: \(String(blocked, radix: 16))")
        let reapedBefore = Set(driver.reapedPids)
        try driver.signal(daemon.process.pid, SIGTERM)
        #expect(try ProcStatus.pendingSignals(of: daemon.process.pid) & ProcStatus.bit(SIGTERM) != 0, "SIGTERM is pending")
        let writer = open(fifo, O_RDWR)
        defer { close(writer) }
        guard writer >= 0, write(writer, "go\n", 3) == 3 else { throw DriverError("writing \(fifo) failed") }

        let exit = try daemon.process.waitForExit(timeout: .seconds(30))
        #expect(exit.status == .exited(0), "\(daemon.process.tail)")
        let adopted = try daemon.process.waitForEvent("upgrade-adopted", from: mark)
        #expect(adopted.fields["workers"] == "2", "\(adopted)")
        let stopping = try daemon.process.waitForEvent("stopping", from: adopted.index)
        let exits = daemon.process.events("worker-exited").filter { $0.index > stopping.index }
        #expect(Set(exits.compactMap(\.subjectPid)).isSuperset(of: Set(old.values)),
                "the new image reaped the adopted workers: \(exits)\n\(daemon.process.tail)")
        #expect(daemon.process.events("master-exit").last?.fields["status"] == "0", "\(daemon.process.tail)")
        try driver.waitForNoDescendants()
        let orphans = driver.reapedPids.filter { !reapedBefore.contains($0) && $0 != daemon.process.pid }
        #expect(orphans.isEmpty, "no worker outlived the master: \(orphans)")
        try driver.expectCleanEnd()
    }

    @Test("SIGTERM right after the upgrade is accepted: whether it meets the check or the new image, the stop ends with status 0 and no worker left",
          .timeLimit(.minutes(2)))
    func aStopRightAfterTheUpgradeRequestEndsCleanly() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        _ = try daemon.process.waitForEvent("upgrade-requested", from: mark)
        try daemon.process.stopAndExpectCleanExit(timeout: .seconds(30))
        try driver.expectCleanEnd()
    }
}

extension DaemonSuite.UpgradeTests {
    @Test("a service the new build lacks: its adopted workers are stopped, named as removed, and reaped by the new image",
          .timeLimit(.minutes(2)))
    func workersOfAVanishedServiceAreStoppedAndReaped() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let old = try daemon.status().pids
        try #require(old.count == 2, "\(old)")
        // The new build runs the fixture service instead of the answerer (the check still
        // checks the old program, which passes).
        let real = driver.runtimeDirectory + "/fixture-real"
        try Deployment.install(copyOf: daemon.executable, at: real)
        try daemon.replaceExecutable(withScript: """
            if [ -n "$COTYLEDON_UPGRADE_STATE" ]; then exec '\(real)' hooks --workers 1 --graceful-timeout 30; fi
            exec '\(real)' "$@"
            """)
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        let adopted = try daemon.process.waitForEvent("upgrade-adopted", from: mark, timeout: .seconds(30))
        #expect(adopted.fields["workers"] == "0", "no worker of a service this build runs: \(adopted)")
        for pid in old.values {
            let stopping = try daemon.process.waitForEvent("worker-stopping", from: mark) { $0.subjectPid == pid }
            #expect(stopping.fields["service"] == "answerer" && stopping.fields["reason"] == "service-removed", "\(stopping)")
            // Its exit is the new image's to reap, named as a vanished service's worker.
            let exited = try daemon.process.waitForEvent("upgrade-vanished-worker-exited", from: stopping.index, timeout: .seconds(30)) {
                $0.subjectPid == pid
            }
            #expect(exited.fields["service"] == "answerer", "\(exited)")
        }
        _ = try daemon.process.waitForEvent("worker-ready", from: adopted.index, timeout: .seconds(30)) { $0.fields["service"] == "fixture" }
        _ = try daemon.process.waitForEvent("upgrade-complete", from: adopted.index, timeout: .seconds(30))
        #expect(Set(driver.reapedPids).isDisjoint(with: Set(old.values)), "the master reaped them, not the driver")
        // The new build serves no control socket and no listener: the old ones are closed.
        #expect(!FileManager.default.fileExists(atPath: daemon.control.path), "the old control socket's file is removed")
        let sockets = try FileDescriptorTable(pid: daemon.process.pid).targets.filter { $0.key > 2 && $0.value.hasPrefix("socket:") }
        #expect(sockets.isEmpty, "the new image holds no socket of the old one: \(sockets)")
        try daemon.process.stopAndExpectCleanExit(timeout: .seconds(30))
        try driver.expectCleanEnd()
    }
}
