import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// Descriptors after many respawns: nothing accumulates in the master, nothing of the
    /// master's or of another worker's reaches a new worker.
    @Suite
    struct Descriptors {
        /// The respawns are of demo workers SIGKILLed by the test (`--min-uptime 0`: no backoff,
        /// `--max-restarts 0`: no give-up) rather than of a crashing fixture: the audit reads the
        /// tables of workers that stay up, and compares the master at rest with itself at start.
        /// The worker rule is the one of `StartupTests.workerDescriptors`: 0 is /dev/null, 1 and
        /// 2 are the master's, at most 3 pipes (its message pipe, the master-alive pipe, its
        /// signal self-pipe), no pidfd, the rest only what its async runtime opens itself.
        @Test("fd audit after 1,000 respawns: each worker holds only its own descriptors; the master holds as many as at start (+0)",
              .timeLimit(.minutes(1)))
        func descriptorsAfterThousandRespawns() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2", "--min-uptime", "0", "--max-restarts", "0",
                                                           "--interval", "3600", "--log-level", "debug"])
            var ready = try demo.waitForEvents("worker-ready", count: 2)
            // At rest: once ready, the master releases its start-up pages, reading /proc/self/pagemap meanwhile.
            _ = try demo.waitForEvents("startup-pages-released", count: 1)
            let masterAtStart = try FileDescriptorTable(pid: demo.pid)
            var workersAtStart: [FileDescriptorTable] = []
            for event in ready { workersAtStart.append(try FileDescriptorTable(pid: try #require(event.subjectPid))) }

            var respawns = 0
            while respawns < 1_000 {
                let mark = demo.cursor
                for event in ready { try driver.signal(try #require(event.subjectPid), SIGKILL) }
                ready = try demo.waitForNewEvents("worker-ready", count: 2, from: mark)
                respawns += 2
            }
            #expect(demo.events("worker-exited").count == 1_000)
            #expect(demo.events("respawn-delayed").isEmpty && demo.events("give-up").isEmpty)

            let master = try FileDescriptorTable(pid: demo.pid)
            #expect(master.targets.count == masterAtStart.targets.count,
                    "the master's descriptors: at start \(masterAtStart)\nafter 1,000 respawns \(master)")
            func kinds(_ table: FileDescriptorTable) -> [String: Int] {
                table.targets.values.reduce(into: [:]) { counts, target in
                    counts[target.hasPrefix("pipe:[") ? "pipe" : target, default: 0] += 1
                }
            }
            #expect(kinds(master) == kinds(masterAtStart), "the kinds of the master's descriptors changed")

            var pipeHolders: [String: Set<Int32>] = [:]
            for event in ready {
                let pid = try #require(event.subjectPid)
                let table = try FileDescriptorTable(pid: pid)
                let id = event.worker ?? -1
                #expect(table.targets[0] == "/dev/null", "worker \(id) stdin: \(table)")
                #expect(table.targets[1] == master.targets[1] && table.targets[2] == master.targets[2],
                        "worker \(id) stdout and stderr are the master's: \(table)")
                let extra = table.targets.filter { $0.key > 2 }
                let pipes = Set(extra.values.filter { $0.hasPrefix("pipe:[") })
                #expect(pipes.count <= 3, "worker \(id) holds at most 3 pipes besides stdio: \(table)")
                let atStart = workersAtStart.map { Set($0.targets.filter { $0.key > 2 && $0.value.hasPrefix("pipe:[") }.values).count }
                #expect(atStart.allSatisfy { $0 == pipes.count }, "as many pipes as the first workers (\(atStart)): \(table)")
                for pipe in pipes { pipeHolders[pipe, default: []].insert(pid) }
                #expect(!extra.values.contains("anon_inode:[pidfd]"), "worker \(id) holds the master's pidfds: \(table)")
                let others = extra.filter {
                    !$0.value.hasPrefix("pipe:[") && !DaemonSuite.StartupTests.runtimeDescriptorKinds.contains($0.value)
                }
                #expect(others.isEmpty, "worker \(id) holds unexpected descriptors: \(others)")
                // The master's own pipes (other than the master-alive pipe the workers share)
                // never reach a worker.
                let masterPipes = Set(master.targets.values.filter { $0.hasPrefix("pipe:[") })
                let sharedWithMaster = pipes.intersection(masterPipes)
                #expect(sharedWithMaster.count <= 2,
                        "worker \(id) shares more than its message pipe and the master-alive pipe with the master: \(sharedWithMaster)")
            }
            let shared = pipeHolders.filter { $0.value.count > 1 }
            #expect(shared.count <= 1, "only the master-alive pipe is held by both workers: \(shared)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
