import Glibc
import Testing

extension DaemonSuite {
    /// The reload contract: file edits and SIGHUP, resizing, rolling restarts.
    @Suite
    struct ReloadContractTests {
        @Test("edit the file and HUP: counts change, in-place workers keep their pids and reload", .timeLimit(.minutes(1)))
        func resizeKeepsPids() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvents("worker-ready", count: 2)
            let before = demo.liveWorkers()
            try file.write(ConfigurationFixture.printer(workers: 4))
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            _ = try demo.waitForEvent("reload-complete", from: mark)
            _ = try demo.waitForEvents("worker-ready", count: 2, from: mark)
            let after = demo.liveWorkers()
            #expect(Set(after.keys) == [0, 1, 2, 3], "\(after)")
            #expect(after[0] == before[0] && after[1] == before[1], "unchanged workers keep their pids: \(before) → \(after)")
            let reloads = try demo.waitForEvents("worker-reload", count: 2, from: mark).map(\.pid)
            #expect(Set(reloads) == Set([before[0]!, before[1]!]), "reload() ran in the kept workers: \(reloads)")
            #expect(demo.events("roll-started").isEmpty, "no rolling restart for an in-place resize")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("bad edit + HUP: error logged with the line, same pids, READY=1 still follows", .timeLimit(.minutes(1)))
        func badEditChangesNothing() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 3))
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path], environment: ["NOTIFY_SOCKET=\(socket.path)"])
            _ = try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
            _ = try demo.waitForEvent("all-ready")
            let before = demo.liveWorkers()
            try file.write("services:\n  printer:\n    workers: 3\n    graceful_shutdown_timeout: soon\n")
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            let failure = try demo.waitForEvent("reload-failed", from: mark)
            #expect(failure.message.contains("\(file.path):4:"), "names the file and line: \(failure.message)")
            _ = try socket.waitFor("RELOADING=1") { $0.fields["RELOADING"] == "1" }
            let ready = try socket.waitFor("READY=1 after the failed reload") { $0.fields["READY"] == "1" }
            #expect(ready.fields["STATUS"]?.hasPrefix("reload failed: ") == true, "\(ready)")
            #expect(demo.liveWorkers() == before)
            #expect(demo.events("worker-exited").isEmpty && demo.events("worker-started").count == 3, "no worker touched")
            // Still healthy: a killed worker is replaced, and the good file reloads.
            let mark2 = demo.cursor
            try driver.signal(before[1]!, SIGKILL)
            _ = try demo.waitForEvent("worker-ready", from: mark2) { $0.worker == 1 }
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("changed settings roll the workers: never fewer ready than configured", .timeLimit(.minutes(1)))
        func rollingRestartKeepsCapacity() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 4))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvents("worker-ready", count: 4)
            let before = demo.liveWorkers()
            try file.write(ConfigurationFixture.printer(workers: 4, "readiness_timeout: 20"))
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            let start = try demo.waitForEvent("roll-started", from: mark)
            let end = try demo.waitForEvent("roll-complete", from: start.index)
            _ = try demo.waitForEvent("reload-complete", from: end.index)
            // Replay the master's ordered events through the roll: ready workers in service.
            let lowest = demo.fewestReadyWorkers(from: Set(before.values), over: (start.index + 1)...end.index)
            #expect(lowest >= 4, "ready workers dropped to \(lowest) during the roll")
            let after = demo.liveWorkers()
            #expect(Set(after.keys) == [0, 1, 2, 3])
            #expect(Set(after.values).isDisjoint(with: Set(before.values)), "every worker replaced: \(before) → \(after)")
            let stops = demo.events("worker-stopping").filter { $0.index > start.index }
            #expect(stops.count == 4 && stops.allSatisfy { $0.fields["reason"] == "reload" })
            #expect(demo.events("respawn-delayed").isEmpty)
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a HUP storm during a roll converges to the file's state, nothing extra or orphaned", .timeLimit(.minutes(1)))
        func hangupStormConverges() throws {
            let file = try ConfigurationFixture()
            try file.write("services:\n  slow:\n    workers: 4\n")
            let driver = try Driver()
            defer { driver.close() }
            // Each "slow" worker reports ready 150 ms after it starts: a roll of 3 takes ~0.5 s.
            let fixture = try driver.spawn("cotyledon-fixture", ["slow-ready", "--config", file.path])
            _ = try fixture.waitForEvent("all-ready")
            try file.write("services:\n  slow:\n    workers: 3\n    readiness_timeout: 15\n")
            let mark = fixture.cursor
            try driver.signal(fixture.pid, SIGHUP)
            _ = try fixture.waitForEvent("roll-started", from: mark)
            for _ in 0..<99 {
                try driver.signal(fixture.pid, SIGHUP)
            }
            // Settled: a reload completed after the last SIGHUP the master read, none queued.
            var cursor = mark
            while true {
                let complete = try fixture.waitForEvent("reload-complete", from: cursor, timeout: .seconds(20))
                cursor = complete.index + 1
                let lastHangup = fixture.events("signal").filter { $0.fields["signal"] == "SIGHUP" }.last?.index ?? 0
                if complete.index > lastHangup && !fixture.events("reload-queued").contains(where: { $0.index > complete.index }) {
                    break
                }
            }
            #expect(!fixture.events("reload-queued").isEmpty, "SIGHUPs arrived during the roll and were queued")
            let live = fixture.liveWorkers(of: "slow")
            #expect(Set(live.keys) == [0, 1, 2], "the file's 3 workers, ids dense: \(live)")
            // The last old worker is stopped as its replacement takes the slot, when the
            // reload completes: it may still be exiting, or a zombie the master reaps at its
            // next turn. Then only the workers in their slots are left.
            try ProcStatus.waitUntil("exactly the workers in their slots are alive: \(live)", timeout: .seconds(10)) {
                Set(try driver.ps().filter { $0.ppid == fixture.pid }.map(\.pid)) == Set(live.values)
            }
            try fixture.stopAndExpectCleanExit()
            #expect(driver.reapedPids == [fixture.pid], "no orphaned worker")
            try driver.expectCleanEnd()
        }

        @Test("SIGTTIN/SIGTTOU stay within min/max workers; a reload resets the count", .timeLimit(.minutes(1)))
        func resizingIsBoundedAndReset() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2, "min_workers: 2", "max_workers: 3"))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvents("worker-ready", count: 2)
            var mark = demo.cursor
            try driver.signal(demo.pid, SIGTTIN)
            let scaled = try demo.waitForEvent("scaled", from: mark)
            #expect(scaled.fields["workers"] == "3")
            _ = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 2 }
            // Each signal is sent after the previous one took effect (signals read in one
            // batch are handled lowest number first, SIGHUP before SIGTTIN).
            mark = demo.cursor
            try driver.signal(demo.pid, SIGTTIN) // at max_workers: refused
            _ = try demo.waitForEvent("scale-refused", from: mark)
            try driver.signal(demo.pid, SIGHUP)   // resets to the file's 2
            let reset = try demo.waitForEvent("scaled", from: mark)
            #expect(reset.fields["workers"] == "2", "\(reset)")
            _ = try demo.waitForEvent("reload-complete", from: mark)
            #expect(demo.events("scaled").filter { $0.index >= mark }.count == 1, "the SIGTTIN at the maximum changed nothing")
            mark = demo.cursor
            try driver.signal(demo.pid, SIGTTOU) // at min_workers: refused
            _ = try demo.waitForEvent("scale-refused", from: mark)
            try driver.signal(demo.pid, SIGHUP)
            _ = try demo.waitForEvent("reload-complete", from: mark)
            #expect(demo.events("scaled").filter { $0.index >= mark }.isEmpty)
            #expect(Set(demo.liveWorkers().keys) == [0, 1])
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("reconfigure() from a hook resizes the running pool", .timeLimit(.minutes(1)))
        func reconfigureFromHook() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["reconfigure-from-hook"])
            let first = try fixture.waitForEvent("worker-ready")
            let mark = fixture.cursor
            try driver.signal(try #require(first.subjectPid), SIGKILL)
            let scaled = try fixture.waitForEvent("scaled", from: mark)
            #expect(scaled.fields["workers"] == "3")
            let ready = try fixture.waitForEvents("worker-ready", count: 3, from: mark)
            #expect(Set(ready.compactMap(\.worker)) == [0, 1, 2])
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}

extension DaemonSuite {
    /// Recycling: workers older than `max_lifetime` are replaced by a readiness-gated roll.
    @Suite
    struct RecyclingTests {
        @Test("max_lifetime recycles every worker through a roll that keeps capacity", .timeLimit(.minutes(1)))
        func workersAreRecycled() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2, "max_lifetime: 1", "lifetime_jitter: 0"))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            let first = try demo.waitForEvents("worker-ready", count: 2)
            let originals = Set(first.compactMap(\.subjectPid))
            // Replacements are recycled in their turn too: wait for the originals' recycling.
            for original in originals {
                _ = try demo.waitForEvent("recycle", timeout: .seconds(15)) { $0.subjectPid == original }
            }
            // Each original is stopped only after its replacement reported ready.
            for original in originals {
                let stop = try demo.waitForEvent("worker-stopping") { $0.subjectPid == original }
                #expect(stop.fields["reason"] == "reload")
                let id = try #require(stop.worker)
                let replacementReady = demo.events("worker-ready").filter { $0.index < stop.index && $0.worker == id && $0.subjectPid != original }
                #expect(!replacementReady.isEmpty, "worker(\(id))'s replacement was ready before \(original) was stopped")
            }
            #expect(demo.events("respawn-delayed").isEmpty && demo.events("reload-complete").isEmpty,
                    "recycling is neither a crash nor a reload")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
