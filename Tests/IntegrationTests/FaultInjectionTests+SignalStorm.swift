import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// Thousands of control signals as fast as they can be sent. Standard signals coalesce, so
    /// the test asserts invariants of the settled pool rather than counts.
    @Suite
    struct SignalStorm {
        /// Settled, soundly:
        /// 1. none of SIGHUP, SIGTTIN, SIGTTOU is pending for the master any more
        ///    (`/proc/PID/status`): it has read every signal of the storm;
        /// 2. after that, the master is seen blocked in `epoll_wait`: it has finished handling
        ///    every batch it read (it handles a batch in one turn of its loop);
        /// 3. a round trip to the driver: every line the master wrote is in hand;
        /// 4. the master's events, replayed, show no roll or reload in progress, no delayed
        ///    respawn, every live worker ready and none stopping, as many as it wants.
        @Test("3,000 mixed HUP/TTIN/TTOU (paced and in bursts) with file edits: settled pool within min...max, ids dense, ps agrees, no orphan; TERM → exit 0",
              .timeLimit(.minutes(1)))
        func signalStormKeepsPoolInvariants() throws {
            let file = try ConfigurationFixture()
            // A reload after an edit of readiness_timeout rolls the workers; without one it
            // reloads them in place.
            func configuration(readinessTimeout: Int) -> String {
                ConfigurationFixture.printer(workers: 3, "min_workers: 1", "max_workers: 6",
                                             "readiness_timeout: \(readinessTimeout)")
            }
            try file.write(configuration(readinessTimeout: 20))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path, "--interval", "3600"])
            _ = try demo.waitForEvent("all-ready")

            // 2,000 signals paced by the driver's round trips (the master handles them between
            // its other work: rolls, forks, exits) and 10 bursts of 100 sent back to back from
            // here (they coalesce into batches holding all three), with an edit every 200.
            let signals = [SIGHUP, SIGTTIN, SIGTTOU]
            let master = try ProcessHandle(pid: demo.pid)
            for round in 0..<10 {
                try file.write(configuration(readinessTimeout: 20 + round % 2 + 1))
                for _ in 0..<200 {
                    try driver.signal(demo.pid, signals.randomElement()!)
                }
                for _ in 0..<100 {
                    try master.signal(signals.randomElement()!)
                }
            }
            let stormMask = signals.reduce(UInt64(0)) { $0 | ProcStatus.bit($1) }
            try ProcStatus.waitUntil("the master has read every signal", timeout: .seconds(20)) {
                try ProcStatus.pendingSignals(of: demo.pid) & stormMask == 0
            }
            try ProcStatus.waitUntil("the master waits in epoll_wait", timeout: .seconds(20)) {
                try ProcStatus.blockedSyscall(of: demo.pid).map(ProcStatus.epollWaitSyscalls.contains) ?? false
            }
            _ = try driver.ps()
            var replay = WorkerPoolReplay(desired: ["printer": 3])
            var scanned = 0
            _ = try driver.wait(for: "the pool to settle", timeout: .seconds(30),
                                tail: { "\(replay.summary)\n--- log tail ---\n\($0.outputTail(of: demo.pid))" }) { state in
                let lines = state.output[demo.pid] ?? []
                while scanned < lines.count {
                    if let log = lines[scanned].log, log.pid == demo.pid { replay.apply(log) }
                    scanned += 1
                }
                // A gap in the log (the master drops lines rather than block on a slow reader)
                // leaves the replay incomplete: stop waiting and say so below.
                guard replay.droppedLines == 0 else { return true }
                let desired = replay.desired["printer"] ?? 0
                return replay.isQuiescent && replay.workers(of: "printer").count == desired ? true : nil
            }
            guard replay.droppedLines == 0 else {
                Issue.record("the master dropped \(replay.droppedLines) log lines (this process read its output too slowly): the event replay is incomplete, the pool was not checked")
                try demo.stopAndExpectCleanExit()
                try driver.expectCleanEnd()
                return
            }

            let workers = replay.workers(of: "printer")
            #expect((1...6).contains(workers.count), "pool within min_workers...max_workers: \(replay.summary)")
            #expect(workers.map(\.id) == Array(0..<workers.count), "ids dense from 0: \(replay.summary)")
            #expect(replay.slotMismatches.isEmpty, "\(replay.slotMismatches.prefix(10))")
            #expect(replay.anomalies.count <= 2 * replay.droppedLines, "\(replay.anomalies.prefix(10))")
            let processes = try driver.ps()
            let children = processes.children(of: demo.pid)
            #expect(Set(children.map(\.pid)) == Set(workers.map(\.pid)),
                    "the master's children are exactly the live workers:\n\(processes)\n\(replay.summary)")
            for worker in workers {
                let process = processes.process(worker.pid)
                #expect(process?.comm == "printer/\(worker.id)" && process?.state != "Z", "\(worker): \(String(describing: process))")
            }
            #expect(processes.count == children.count + 1, "nothing but the master and its workers: \(processes)")
            #expect(driver.reapedPids.isEmpty, "no orphan reached the driver: \(driver.reapedPids)")
            #expect(demo.events("signal").count >= 3, "the storm reached the master")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
