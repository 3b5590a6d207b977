import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// A worker dies and leaves processes in its process group: they get SIGTERM when the
    /// master sees the death, SIGKILL after the graceful timeout; a process that left the group
    /// with setsid, and the groups of live workers, are not touched.
    @Suite
    struct WorkerGroup {
        /// The tree a fixture worker logged (`spawned tree worker=ID child=SHELL …`) once the
        /// shell has forked its two sleeps: the shell, the sleeps, and the rest of the line's fields.
        struct Tree {
            let pids: [Int32]
            let fields: [String: String]
        }

        static func tree(of workerID: Int, in fixture: DaemonProcess, from mark: Int) throws -> Tree {
            let line = try fixture.waitForLine("worker \(workerID) spawned its tree", from: mark) {
                $0.stream == "stdout" && $0.text.hasPrefix("spawned tree worker=\(workerID) child=")
            }
            var fields: [String: String] = [:]
            for token in line.text.split(separator: " ") {
                let parts = token.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            let shell = try #require(fields["child"].flatMap { Int32($0) }, "\(line)")
            var pids: [Int32] = []
            try ProcStatus.waitUntil("the shell \(shell) has forked its two sleeps", timeout: .seconds(10)) {
                let sleeps = try fixture.driver.ps().children(of: shell)
                pids = [shell] + sleeps.map(\.pid)
                return sleeps.count == 2
            }
            return Tree(pids: pids, fields: fields)
        }

        /// Waits until no process of the groups `groups` is left, zombies included (a settled state).
        static func waitUntilGone(_ groups: Set<Int32>, driver: Driver, timeout: Duration) throws {
            var left: [ProcessSnapshot] = []
            do {
                try ProcStatus.waitUntil("no process of the groups \(groups.sorted()) is left", timeout: timeout) {
                    left = try driver.ps().filter { groups.contains($0.pgid) }
                    return left.isEmpty
                }
            } catch {
                throw DriverError("\(error); left: \(left)")
            }
        }

        @Test("a worker SIGKILLed 3 times: its group's 3 processes get SIGTERM each time (worker-group-cleanup processes=3) and are gone; the other worker's tree is untouched",
              .timeLimit(.minutes(1)))
        func deadWorkersGroupsAreCleanedUp() throws {
            let driver = try Driver()
            defer { driver.close() }
            // A 60 s graceful timeout: what goes away within the test's 10 s went on SIGTERM.
            let fixture = try driver.spawn("cotyledon-fixture", ["grandchildren", "--workers", "2", "--min-uptime", "0",
                                                                 "--max-restarts", "0", "--graceful-timeout", "60"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            let survivor = try #require(ready.first { $0.worker == 1 }?.subjectPid)
            let survivorTree = try Self.tree(of: 1, in: fixture, from: 0)
            var victim = try #require(ready.first { $0.worker == 0 }?.subjectPid)
            _ = try Self.tree(of: 0, in: fixture, from: 0)
            var deadGroups: Set<Int32> = []
            for _ in 0..<3 {
                let mark = fixture.cursor
                try driver.signal(victim, SIGKILL)
                let cleanup = try fixture.waitForEvent("worker-group-cleanup", from: mark) { $0.subjectPid == victim }
                #expect(cleanup.fields["processes"] == "3" && cleanup.fields["signal"] == "SIGTERM",
                        "the shell and its two sleeps were signalled: \(cleanup)")
                #expect(cleanup.pid == fixture.pid, "logged by the master: \(cleanup)")
                deadGroups.insert(victim)
                victim = try #require(try fixture.waitForEvent("worker-ready", from: mark) { $0.worker == 0 }.subjectPid)
                _ = try Self.tree(of: 0, in: fixture, from: mark)
            }
            try Self.waitUntilGone(deadGroups, driver: driver, timeout: .seconds(10))
            #expect(fixture.events("worker-group-kill").isEmpty, "SIGTERM was enough; log:\n\(fixture.tail)")
            let processes = try driver.ps()
            for pid in survivorTree.pids {
                let process = processes.process(pid)
                #expect(process != nil && process?.state != "Z" && process?.pgid == survivor,
                        "worker 1's process \(pid) is alive in its group: \(String(describing: process))")
            }
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            try driver.expectCleanEnd()
        }

        @Test("a dead worker's processes that ignore SIGTERM get SIGKILL after the graceful timeout (worker-group-kill)",
              .timeLimit(.minutes(1)))
        func leftoversIgnoringTermAreKilledAfterTheTimeout() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["stubborn-tree", "--workers", "1", "--min-uptime", "0",
                                                                 "--graceful-timeout", "1"])
            let worker = try #require(try fixture.waitForEvent("worker-ready").subjectPid)
            let tree = try Self.tree(of: 0, in: fixture, from: 0)
            let mark = fixture.cursor
            try driver.signal(worker, SIGKILL)
            let cleanup = try fixture.waitForEvent("worker-group-cleanup", from: mark) { $0.subjectPid == worker }
            let kill = try fixture.waitForEvent("worker-group-kill", from: mark) { $0.subjectPid == worker }
            #expect(cleanup.fields["processes"] == "3" && kill.fields["processes"] == "3" && kill.fields["signal"] == "SIGKILL",
                    "all 3 ignored SIGTERM and got SIGKILL: \(cleanup) \(kill)")
            #expect(kill.index > cleanup.index)
            let (terminated, killed) = (try #require(cleanup.mono), try #require(kill.mono))
            #expect(killed - terminated >= 0.9, "the 1 s graceful timeout was granted: \(killed - terminated) s")
            // The shell was adopted by the master (a subreaper), which reaped it.
            let shell = try fixture.waitForEvent("reaped-other", from: mark) { $0.subjectPid == tree.pids[0] }
            #expect(shell.fields["status"] == "killed:SIGKILL", "\(shell)")
            try Self.waitUntilGone([worker], driver: driver, timeout: .seconds(10))
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            try driver.expectCleanEnd()
        }

        @Test("a process that left its worker's group with setsid outlives the worker's death; its group's tree does not",
              .timeLimit(.minutes(1)))
        func setsidChildOutlivesItsWorker() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["escaping-tree", "--workers", "1", "--min-uptime", "0",
                                                                 "--graceful-timeout", "60"])
            let worker = try #require(try fixture.waitForEvent("worker-ready").subjectPid)
            let tree = try Self.tree(of: 0, in: fixture, from: 0)
            let escapee = try #require(tree.fields["escapee"].flatMap { Int32($0) }, "\(tree.fields)")
            let before = try #require(try driver.ps().process(escapee), "the setsid sleep \(escapee) runs")
            #expect(before.pgid == escapee && before.pgid != worker, "it left the worker's group: \(before)")
            let mark = fixture.cursor
            try driver.signal(worker, SIGKILL)
            let cleanup = try fixture.waitForEvent("worker-group-cleanup", from: mark) { $0.subjectPid == worker }
            #expect(cleanup.fields["processes"] == "3", "the tree, not the setsid sleep: \(cleanup)")
            try Self.waitUntilGone([worker], driver: driver, timeout: .seconds(10))
            let after = try driver.ps().process(escapee)
            #expect(after != nil && after?.state != "Z" && after?.ppid == fixture.pid,
                    "the setsid sleep lives on, adopted by the master: \(String(describing: after))")
            let killMark = fixture.cursor
            try driver.signal(escapee, SIGKILL)
            let reaped = try fixture.waitForEvent("reaped-other", from: killMark) { $0.subjectPid == escapee }
            #expect(reaped.fields["status"] == "killed:SIGKILL")
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            try driver.expectCleanEnd()
        }
    }
}
