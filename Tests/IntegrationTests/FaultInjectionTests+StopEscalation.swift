import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// Stops that meet resistance: a worker ignoring SIGTERM, a stopped worker, a worker with
    /// children of its own, an orphan adopted by the master.
    @Suite
    struct StopEscalation {
        @Test("a worker ignoring SIGTERM: stop-timeout after the graceful timeout, killed:SIGKILL, master exits 0",
              .timeLimit(.minutes(1)))
        func workerIgnoringTermIsKilledAtTimeout() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["ignore-term", "--workers", "2", "--graceful-timeout", "1"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            for id in 0..<2 {
                _ = try fixture.waitForLine("worker \(id) ignores SIGTERM") {
                    $0.stream == "stdout" && $0.text == "stubborn ignoring SIGTERM worker=\(id)"
                }
            }
            let mark = fixture.cursor
            let stop = try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(10))
            let workers = Set(ready.compactMap(\.subjectPid))
            let timeouts = fixture.events("stop-timeout").filter { $0.index >= mark }
            #expect(Set(timeouts.compactMap(\.subjectPid)) == workers, "stop-timeout for each worker; log:\n\(fixture.tail)")
            let exits = fixture.events("worker-exited").filter { $0.index >= mark }
            #expect(Set(exits.compactMap(\.subjectPid)) == workers
                        && exits.allSatisfy { $0.fields["status"] == "killed:SIGKILL" && $0.fields["reason"] == "stopped" },
                    "killed at the timeout: \(exits)")
            let first = try #require(timeouts.first?.mono, "stop-timeout has mono=")
            #expect(first - stop.signalled >= 0.9, "the 1 s graceful timeout was granted: \(first - stop.signalled) s")
            #expect(stop.exited - stop.signalled < 5, "exit \(stop.exited - stop.signalled) s after SIGTERM")
            try driver.expectCleanEnd()
        }

        /// The master sends SIGCONT after SIGTERM to each worker group, so a stopped worker
        /// wakes up to its SIGTERM and stops gracefully; were it still stopped, the graceful
        /// timeout would kill it. Either way it is gone and the master exits 0.
        @Test("a SIGSTOPped worker: SIGTERM to the master → the worker is gone, master exits 0", .timeLimit(.minutes(1)))
        func stoppedWorkerIsStopped() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2", "--graceful-timeout", "2"])
            let ready = try demo.waitForEvents("worker-ready", count: 2)
            let frozen = try #require(ready.first { $0.worker == 0 }?.subjectPid)
            try driver.signal(frozen, SIGSTOP)
            try ProcStatus.waitUntil("worker \(frozen) is stopped", timeout: .seconds(5)) {
                try driver.ps().process(frozen)?.state == "T"
            }
            let mark = demo.cursor
            let stop = try demo.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(10))
            let exit = try #require(demo.events("worker-exited").first { $0.index >= mark && $0.subjectPid == frozen },
                                    "worker-exited for the stopped worker; log:\n\(demo.tail)")
            #expect(exit.fields["reason"] == "stopped", "\(exit)")
            // SIGCONT follows SIGTERM: the worker stops gracefully, well before the 2 s timeout.
            #expect(exit.fields["status"] == "exited:0", "woken by SIGCONT, it handled SIGTERM: \(exit)")
            #expect(stop.exited - stop.signalled < 2, "no wait for the graceful timeout: \(stop.exited - stop.signalled) s")
            try driver.expectCleanEnd()
        }

        @Test("a worker with children and grandchildren: SIGTERM to the master → the whole tree is gone, master exits 0",
              .timeLimit(.minutes(1)))
        func workerTreeIsGone() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["grandchildren", "--workers", "2", "--graceful-timeout", "5"])
            let ready = try fixture.waitForEvents("worker-ready", count: 2)
            var shells: [Int32] = []
            for id in 0..<2 {
                let line = try fixture.waitForLine("worker \(id) spawned its tree") {
                    $0.stream == "stdout" && $0.text.hasPrefix("spawned tree worker=\(id) child=")
                }
                shells.append(try #require(Int32(line.text.split(separator: "=").last ?? "")))
            }
            // The tree under each worker: the shell, and its two sleeps once it has forked them.
            var tree: [Int32] = []
            try ProcStatus.waitUntil("each shell has forked its two sleeps", timeout: .seconds(5)) {
                let processes = try driver.ps()
                let grandchildren = shells.flatMap { processes.children(of: $0) }
                tree = shells + grandchildren.map(\.pid)
                return grandchildren.count == 4
            }
            let processes = try driver.ps()
            for event in ready {
                let worker = try #require(event.subjectPid)
                let members = processes.filter { tree.contains($0.pid) && $0.pgid == worker }
                #expect(members.count == 3, "the shell and its sleeps are in worker \(worker)'s group: \(processes)")
            }
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            // stopAndExpectCleanExit also checked that the driver reaped nothing but the master:
            // the master (a subreaper) reaped whatever its workers left.
            let left = try driver.ps().filter { tree.contains($0.pid) }
            #expect(left.isEmpty, "left of the tree \(tree): \(left)")
            try driver.expectCleanEnd()
        }

        @Test("a tree that ignores SIGTERM: the graceful timeout's SIGKILL reaches the worker's whole group",
              .timeLimit(.minutes(1)))
        func escalationReachesTheWholeGroup() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["stubborn-tree", "--workers", "1", "--graceful-timeout", "1"])
            let worker = try #require(try fixture.waitForEvent("worker-ready").subjectPid)
            let line = try fixture.waitForLine("the worker spawned its tree") {
                $0.stream == "stdout" && $0.text.hasPrefix("spawned tree worker=0 child=")
            }
            let shell = try #require(Int32(line.text.split(separator: "=").last ?? ""))
            var tree: [Int32] = []
            try ProcStatus.waitUntil("the shell has forked its two sleeps", timeout: .seconds(5)) {
                let grandchildren = try driver.ps().children(of: shell)
                tree = [shell] + grandchildren.map(\.pid)
                return grandchildren.count == 2
            }
            let mark = fixture.cursor
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            #expect(fixture.events("stop-timeout").contains { $0.index >= mark && $0.subjectPid == worker })
            // The shell and the sleeps all ignored SIGTERM: they died of the group SIGKILL.
            // Orphaned, they were reaped by the master (a subreaper) — except a sleep the
            // shell may have reaped itself in the instant before its own SIGKILL landed.
            let reaped = fixture.events("reaped-other").filter { $0.index >= mark && tree.contains($0.subjectPid ?? 0) }
            #expect(!reaped.isEmpty && reaped.allSatisfy { $0.fields["status"] == "killed:SIGKILL" },
                    "the tree died of SIGKILL; reaped: \(reaped)")
            #expect(try driver.ps().filter { tree.contains($0.pid) }.isEmpty)
            try driver.expectCleanEnd()
        }

        @Test("an orphan escaping with setsid is re-parented to the master; at stop it is ended and logged reaped-other",
              .timeLimit(.minutes(1)))
        func adoptedOrphanIsReaped() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["adopt-orphan", "--workers", "1"])
            let line = try fixture.waitForLine("the worker's orphan") {
                $0.stream == "stdout" && $0.text.hasPrefix("orphan pid=")
            }
            let orphan = try #require(line.text.split(separator: " ").first { $0.hasPrefix("pid=") }
                .flatMap { Int32($0.dropFirst(4)) }, "\(line)")
            let worker = try #require(try fixture.waitForEvent("worker-ready").subjectPid)
            let processes = try driver.ps()
            let adopted = try #require(processes.process(orphan), "the orphan \(orphan) in ps: \(processes)")
            #expect(adopted.ppid == fixture.pid, "re-parented to the master (a subreaper): \(adopted)")
            #expect(adopted.pgid != worker, "it left the worker's group: \(adopted)")
            let mark = fixture.cursor
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            let reaped = fixture.events("reaped-other").filter { $0.index >= mark }
            #expect(reaped.contains { $0.subjectPid == orphan && $0.fields["status"]?.isEmpty == false },
                    "event=reaped-other pid=\(orphan); log:\n\(fixture.tail)")
            #expect(!fixture.events("worker-exited").contains { $0.subjectPid == orphan }, "not taken for a worker")
            try driver.expectCleanEnd()
        }
    }
}
