import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// A master starting its workers: ids, process titles, process tree, inherited descriptors.
    @Suite
    struct StartupTests {
        @Test("3 workers start with ids 0...2, titles, and a process group each", .timeLimit(.minutes(1)))
        func threeWorkers() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"])
            let ready = try demo.waitForEvents("worker-ready", count: 3)
            #expect(ready.map(\.worker).sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 1, 2])
            #expect(ready.allSatisfy { $0.fields["service"] == "printer" })
            let allReady = try demo.waitForEvent("all-ready")
            #expect(allReady.fields["workers"] == "3")
            let started = try #require(demo.events("master-started").first, "event=master-started; log:\n\(demo.tail)")
            #expect(started.pid == demo.pid)
            #expect(started.subjectPid == demo.pid)

            let processes = try driver.ps()
            let master = try #require(processes.process(demo.pid), "the master in ps: \(processes)")
            #expect(master.cmdline == "cotyledon-demo: master process [cotyledon-demo --workers 3]")
            #expect(master.comm == "cotyledon-demo")
            #expect(master.threads == 1, "the master stays single-threaded (ARCHITECTURE.md § Fork safety)")
            let workers = processes.children(of: demo.pid)
            #expect(workers.count == 3, "children of the master: \(workers)")
            for event in ready {
                let id = try #require(event.worker)
                let pid = try #require(event.subjectPid)
                #expect(event.pid == demo.pid, "worker-ready is a master event: \(event)")
                let worker = try #require(processes.process(pid), "worker \(id) [\(pid)] in ps: \(processes)")
                #expect(worker.cmdline == "cotyledon-demo: printer worker(\(id))")
                #expect(worker.comm == "printer/\(id)")
                #expect(worker.ppid == demo.pid)
                #expect(worker.pgid == worker.pid, "worker \(id) leads its own process group")
            }
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        /// A worker holds 0, 1, 2, its message pipe, the master-alive pipe and its own signal
        /// self-pipe; its async runtime (libdispatch) adds an epoll fd, an eventfd and timerfds
        /// after the fork. The check is therefore about origin: nothing of the master's or of
        /// another worker's beyond the shared stdio and the pipe shared by every worker.
        @Test("a worker holds no other worker's descriptors; stdin is /dev/null", .timeLimit(.minutes(1)))
        func workerDescriptors() throws {
            let driver = try Driver()
            defer { driver.close() }
            // The master's stdin is a pipe here (as a terminal would be), so /dev/null in a worker
            // is the master's doing, not inherited.
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "4"], stdin: .pipe)
            let ready = try demo.waitForEvents("worker-ready", count: 4)
            let master = try FileDescriptorTable(pid: demo.pid)
            #expect(master.targets[0]?.hasPrefix("pipe:[") == true, "the master's stdin: \(master)")
            let masterSignalMasks = Set(master.targets.keys.filter { master.targets[$0] == "anon_inode:[signalfd]" }
                .compactMap { FileDescriptorTable.fdinfo(pid: demo.pid, fd: $0)["sigmask"] })

            var tables: [(id: Int, pid: Int32, table: FileDescriptorTable)] = []
            for event in ready {
                let pid = try #require(event.subjectPid)
                tables.append((try #require(event.worker), pid, try FileDescriptorTable(pid: pid)))
            }
            var pipeHolders: [String: Set<Int>] = [:]
            for (id, pid, table) in tables {
                #expect(table.targets[0] == "/dev/null", "worker \(id) stdin: \(table)")
                #expect(table.targets[1] == master.targets[1], "worker \(id) stdout is the master's: \(table)")
                #expect(table.targets[2] == master.targets[2], "worker \(id) stderr is the master's: \(table)")
                let extra = table.targets.filter { $0.key > 2 }
                let pipes = extra.filter { $0.value.hasPrefix("pipe:[") }
                // Its message pipe to the master, the master-alive pipe shared by every worker,
                // and its own signal self-pipe (both ends).
                #expect(Set(pipes.values).count <= 3, "worker \(id) holds at most 3 pipes besides stdio: \(table)")
                for target in Set(pipes.values) { pipeHolders[target, default: []].insert(id) }
                let pidfds = extra.filter { $0.value == "anon_inode:[pidfd]" }
                #expect(pidfds.isEmpty, "worker \(id) holds the master's pidfds: \(table)")
                let others = extra.filter {
                    !$0.value.hasPrefix("pipe:[") && !Self.runtimeDescriptorKinds.contains($0.value)
                }
                #expect(others.isEmpty, "worker \(id) holds unexpected descriptors: \(others)")
                for (fd, target) in extra where target == "anon_inode:[signalfd]" {
                    let mask = FileDescriptorTable.fdinfo(pid: pid, fd: fd)["sigmask"]
                    #expect(mask.map { !masterSignalMasks.contains($0) } == true,
                            "worker \(id) fd \(fd) is the master's signalfd (sigmask \(mask ?? "?"))")
                }
            }
            // Leaked descriptors accumulate: a later worker would hold more pipes than the first.
            // (The runtime's own descriptors come and go, e.g. timerfds as timers are armed.)
            let pipeCounts = tables.map { entry in entry.table.targets.values.filter { $0.hasPrefix("pipe:[") }.count }
            let listing = tables.map { "worker \($0.id): \($0.table)" }.joined(separator: "\n")
            #expect(Set(pipeCounts).count == 1, "every worker holds as many pipes, however late it started:\n\(listing)")
            for (pipe, holders) in pipeHolders where holders.count > 1 && holders.count < tables.count {
                Issue.record("pipe \(pipe) is held by workers \(holders.sorted()) only: one worker's pipe leaked")
            }
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        /// Descriptors a worker's async runtime opens for itself after the fork.
        static let runtimeDescriptorKinds: Set<String> = [
            "anon_inode:[eventpoll]", "anon_inode:[eventfd]", "anon_inode:[timerfd]", "anon_inode:[signalfd]",
        ]
    }
}
