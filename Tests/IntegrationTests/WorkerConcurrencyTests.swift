import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// Where a worker runs its tasks (`Service.concurrency`), and what its one-thread event
    /// loop keeps of the worker's promises while `run()` blocks the main thread.
    @Suite
    struct WorkerConcurrencyTests {
        /// The `key=value` words of a fixture's line.
        static func words(_ text: String) -> [String: String] {
            Dictionary(text.split(separator: " ").compactMap { word -> (String, String)? in
                let parts = word.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { $1 })
        }

        /// The threads of a process, from `/proc/PID/task`.
        static func threads(of pid: Int32) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        }

        @Test("an idle worker with a pending Task.sleep and a heartbeat has exactly one thread", .timeLimit(.minutes(1)))
        func idleWorkerHasOneThread() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["idle", "--workers", "2"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            for id in 0..<2 {
                _ = try fixture.waitForLine("worker \(id) sleeping") { $0.stream == "stdout" && $0.text == "idle worker=\(id)" }
            }
            for worker in ready {
                let pid = try #require(worker.subjectPid)
                let threads = try Self.threads(of: pid)
                #expect(threads == ["\(pid)"], "worker \(pid) has only its main thread: \(threads)")
                #expect(try ProcStatus.fields(of: pid)["Threads"] == "1")
            }
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("an idle worker's heartbeat keeps going from the loop's timer, past two timeouts of a hung worker beside it",
              .timeLimit(.minutes(1)))
        func idleWorkerKeepsBeating() throws {
            let driver = try Driver()
            defer { driver.close() }
            // Both services have a 4 s heartbeat timeout; the hung beater blocks its main thread
            // after its first beat, and so does its respawn. The master checks every worker's
            // beat in the same pass. Its second heartbeat-timeout comes a timeout after the
            // respawn, which follows the first: at least two checks after the idle workers'
            // own timeout would have run out had they stopped beating (a check flags all the
            // late workers of its pass, and the master logs in order).
            let fixture = try driver.spawn("cotyledon-fixture", ["idle-beside-hung", "--workers", "2", "--graceful-timeout", "1"])
            let idle = try fixture.waitForEvents("worker-ready", count: 3).filter { $0.fields["service"] == "idler" }.compactMap(\.subjectPid)
            #expect(idle.count == 2)
            let first = try fixture.waitForEvent("heartbeat-timeout", timeout: .seconds(30)) { $0.fields["service"] == "hung-beater" }
            let second = try fixture.waitForEvent("heartbeat-timeout", from: first.index + 1, timeout: .seconds(40)) {
                $0.fields["service"] == "hung-beater"
            }
            #expect(second.subjectPid != first.subjectPid, "the respawned hung beater: \(second)")
            let late = fixture.events("heartbeat-timeout").filter { $0.fields["service"] != "hung-beater" }
            #expect(late.isEmpty, "the idle workers kept beating: \(late)\nlog:\n\(fixture.tail)")
            #expect(fixture.events("worker-exited").allSatisfy { !idle.contains($0.subjectPid ?? 0) }, "log:\n\(fixture.tail)")
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("the one-thread worker runs Task.sleep, actors, task groups, Task.detached, main-actor hops, runBlocking and DispatchQueue.main",
              .timeLimit(.minutes(1)))
        func oneThreadWorkerRunsSwiftConcurrency() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["probe", "--workers", "1"])
            let line = try fixture.waitForLine("the probe's report") { $0.stream == "stdout" && $0.text.hasPrefix("probe worker=0 ") }
            let report = Self.words(line.text)
            #expect(report["sleeps"] == "ok" && report["actor"] == "10", "\(line)")
            for part in ["actor-on-main", "group-on-main", "detached-on-main", "hop-on-main", "dispatch-main-on-main",
                         "dispatch-from-thread-on-main"] {
                #expect(report[part] == "true", "\(part) in \(line)")
            }
            #expect(report["blocking"] == "42" && report["blocking-on-main"] == "false", "runBlocking runs on a thread of its own: \(line)")
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a .threadPool service runs its tasks in parallel on more than one thread, its main actor on the main thread",
              .timeLimit(.minutes(1)))
        func threadPoolServiceRunsInParallel() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["parallel", "--workers", "1"])
            let line = try fixture.waitForLine("the parallel report", timeout: .seconds(30)) {
                $0.stream == "stdout" && $0.text.hasPrefix("parallel worker=0 ")
            }
            let report = Self.words(line.text)
            #expect(report["met"] == "true" && report["threads"] == "2", "two tasks ran at once on two threads: \(line)")
            #expect(report["main-on-main"] == "true", "\(line)")
            let worker = try #require(fixture.events("worker-ready").first?.subjectPid)
            #expect(try Self.threads(of: worker).count > 1, "the pool's threads are the worker's")
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("SIGINT to a worker whose run() blocks the main thread: it exits 0 at once, reported as an outside signal",
              .timeLimit(.minutes(1)))
        func interruptEndsAWorkerBlockingItsMainThread() throws {
            let driver = try Driver()
            defer { driver.close() }
            // A graceful stop of these workers can only end with the master's SIGKILL, 60 s on.
            let (fixture, ready) = try Self.startWorkersBlockingTheirMainThread(driver, scenario: "block-main",
                                                                                 saying: "blocking the main thread")
            let victim = try #require(ready.first { $0.worker == 0 }?.subjectPid)
            let mark = fixture.cursor
            try driver.signal(victim, SIGINT)
            let exit = try fixture.waitForEvent("worker-exited", from: mark) { $0.subjectPid == victim }
            #expect(exit.fields["status"] == "exited:0" && exit.fields["reason"] == "outside-signal", "\(exit)")
            #expect(exit.fields["sender"] == "\(driver.driverPid)" && exit.fields["signal"] == "SIGINT", "\(exit)")
            _ = try fixture.waitForLine("the respawned worker blocking", from: mark) {
                $0.stream == "stdout" && $0.text == "blocking the main thread worker=0"
            }
            // The master's fast stop: SIGINT to every worker, each blocked in run().
            try driver.signal(fixture.pid, SIGINT)
            let stopped = try fixture.waitForExit(timeout: .seconds(15))
            #expect(stopped.status == .exited(0), "log:\n\(fixture.tail)")
            #expect(fixture.events("worker-exited").allSatisfy { $0.fields["status"] == "exited:0" }, "log:\n\(fixture.tail)")
            try driver.expectCleanEnd()
        }

        @Test("SIGTERM to a worker whose run() returned and whose terminate() blocks before it suspends: its group is killed after the graceful timeout",
              .timeLimit(.minutes(1)))
        func terminateBlockingBeforeItSuspendsIsBounded() throws {
            let driver = try Driver()
            defer { driver.close() }
            // No master stop covers a SIGTERM sent to the worker directly: the worker's own
            // group kill, armed for the end of the graceful timeout, is the only bound.
            let fixture = try driver.spawn("cotyledon-fixture", ["blocking-terminate", "--workers", "1", "--graceful-timeout", "2"])
            let ready = try fixture.waitForEvent("worker-ready")
            let worker = try #require(ready.subjectPid)
            _ = try fixture.waitForEvent("run-returned") { $0.fields["service"] == "terminate-blocker" }
            let mark = fixture.cursor
            try driver.signal(worker, SIGTERM)
            _ = try fixture.waitForLine("terminate() blocks", from: mark) { $0.stream == "stdout" && $0.text == "terminate blocks worker=0" }
            let exit = try fixture.waitForEvent("worker-exited", from: mark, timeout: .seconds(20)) { $0.subjectPid == worker }
            #expect(exit.fields["status"] == "killed:SIGKILL" && exit.fields["reason"] == "outside-signal", "\(exit)")
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("an orphaned worker whose run() blocks the main thread still dies: its group is killed after the grace period",
              .timeLimit(.minutes(1)))
        func orphanBlockingItsMainThreadDies() throws {
            let driver = try Driver()
            defer { driver.close() }
            let (fixture, ready) = try Self.startWorkersBlockingTheirMainThread(driver, scenario: "block-main",
                                                                                 saying: "blocking the main thread")
            let workers = ready.compactMap(\.subjectPid)
            try driver.signal(fixture.pid, SIGKILL)
            _ = try fixture.waitForExit()
            // Re-parented to the driver (a subreaper), which reaps them.
            for worker in workers {
                let exit = try driver.waitForReap(of: worker, timeout: .seconds(15))
                #expect(exit.status == .killed("SIGKILL"), "the backstop kills the orphan's group: \(exit)")
            }
            try driver.expectCleanEnd()
        }

        @Test("an orphaned worker that cleared its parent-death signal and blocks its main thread still dies, by the pipe's signal",
              .timeLimit(.minutes(1)))
        func orphanWithoutParentDeathSignalDies() throws {
            let driver = try Driver()
            defer { driver.close() }
            let (fixture, ready) = try Self.startWorkersBlockingTheirMainThread(driver, scenario: "deaf-block-main",
                                                                                 saying: "deaf and blocking the main thread")
            let workers = ready.compactMap(\.subjectPid)
            try driver.signal(fixture.pid, SIGKILL)
            _ = try fixture.waitForExit()
            // Every worker, not only the last to open the pipe: each has a description of its own.
            for worker in workers {
                let exit = try driver.waitForReap(of: worker, timeout: .seconds(15))
                #expect(exit.status == .killed("SIGKILL"), "the pipe's signal armed the group kill: \(exit)")
            }
            try driver.expectCleanEnd()
        }
    
        /// Starts the fixture's `scenario` with 2 workers (graceful timeout 60 s, so a graceful
        /// stop could end only by the master's SIGKILL) and waits until both are ready and
        /// have printed "`saying` worker=ID", just before blocking their main thread.
        private static func startWorkersBlockingTheirMainThread(_ driver: Driver, scenario: String, saying: String) throws
            -> (fixture: DaemonProcess, ready: [LogLine]) {
            let fixture = try driver.spawn("cotyledon-fixture", [scenario, "--workers", "2", "--graceful-timeout", "60"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            for id in 0..<2 {
                _ = try fixture.waitForLine("worker \(id): \(saying)") { $0.stream == "stdout" && $0.text == "\(saying) worker=\(id)" }
            }
            return (fixture, ready)
        }
}
}
