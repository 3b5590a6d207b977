import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// The control socket and `cotyledonctl`: every command through the client, its
    /// output and exit statuses. Bad input at the socket level is in
    /// `ControlSocketTests+BadInput.swift`, the flood and `/proc` checks in the other
    /// `ControlSocketTests+…` files.
    @Suite
    struct ControlSocketTests {
        /// Starts `cotyledon-demo --config <file> --control-socket <socket>` and waits until it
        /// listens on the socket and its workers are ready.
        static func startDemo(
            _ driver: Driver, config: ConfigurationFixture, socket: ControlSocketFixture, _ extra: [String] = []
        ) throws -> DaemonProcess {
            let demo = try driver.spawn("cotyledon-demo", ["--config", config.path] + socket.daemonArguments + extra)
            let listening = try demo.waitForEvent("control-listening")
            #expect(listening.fields["path"] == socket.path, "\(listening)")
            _ = try demo.waitForEvent("all-ready")
            return demo
        }

        /// Checks a `--json status` answer against `/proc`: the service's workers are exactly the
        /// master's children, each with `comm` `<service>/<id>`, all ready, `count` of them.
        static func expectStatus(
            _ run: ControlRun, matches demo: DaemonProcess, driver: Driver, service: String = "printer", count: Int,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            #expect(run.status == .exited(0), "\(run)", sourceLocation: sourceLocation)
            #expect(run.json?["ok"] as? Bool == true && run.json?["v"] as? Int == 1, "\(run)", sourceLocation: sourceLocation)
            #expect(run.json?["pid"] as? Int == Int(demo.pid), "\(run)", sourceLocation: sourceLocation)
            #expect(run.json?["phase"] as? String == "running", "\(run)", sourceLocation: sourceLocation)
            let entry = try #require(run.service(service), "\(run)", sourceLocation: sourceLocation)
            #expect(entry["configured"] as? Int == count && entry["running"] as? Int == count
                    && entry["ready"] as? Int == count, "counts: \(entry)", sourceLocation: sourceLocation)
            let workers = entry["workers"] as? [[String: Any]] ?? []
            #expect(workers.allSatisfy { $0["state"] as? String == "ready" }, "states: \(workers)", sourceLocation: sourceLocation)
            let pids = run.workerPids(of: service)
            #expect(Set(pids.keys) == Set(0..<count), "ids: \(pids)", sourceLocation: sourceLocation)
            let processes = try driver.ps()
            let children = processes.children(of: demo.pid)
            #expect(Set(children.map(\.pid)) == Set(pids.values),
                    "status pids \(pids) vs the master's children:\n\(children.map(\.description).joined(separator: "\n"))",
                    sourceLocation: sourceLocation)
            for (id, pid) in pids {
                let process = processes.process(pid)
                #expect(process?.comm == "\(service)/\(id)" && process?.state != "Z",
                        "worker \(id) pid \(pid): \(String(describing: process))", sourceLocation: sourceLocation)
            }
        }

        @Test("status: table and --json agree with the event stream and ps; a killed worker shows its restart and last exit",
              .timeLimit(.minutes(1)))
        func status() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 3))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            var mode = stat()
            #expect(lstat(socket.path, &mode) == 0 && mode.st_mode & S_IFMT == S_IFSOCK, "a socket at \(socket.path)")
            #expect(mode.st_mode & 0o777 == 0o600, "socket mode \(String(mode.st_mode & 0o777, radix: 8))")

            let first = try driver.control(socket: socket.path, ["--json", "status"])
            try Self.expectStatus(first, matches: demo, driver: driver, count: 3)
            #expect(first.workerPids(of: "printer") == demo.liveWorkers(), "status vs events: \(first)")
            let workers = first.service("printer")?["workers"] as? [[String: Any]] ?? []
            #expect(workers.allSatisfy { $0["restarts"] as? Int == 0 && ($0["lastExit"] == nil || $0["lastExit"] is NSNull) },
                    "no restart yet: \(workers)")
            #expect(workers.allSatisfy { ($0["uptime"] as? Double ?? -1) >= 0 }, "\(workers)")

            // SIGKILL worker 1: its slot shows the new pid, one restart and the last exit.
            let victim = try #require(first.workerPids(of: "printer")[1])
            let mark = demo.cursor
            try driver.signal(victim, SIGKILL)
            let respawned = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 1 }
            let second = try driver.control(socket: socket.path, ["--json", "status"])
            try Self.expectStatus(second, matches: demo, driver: driver, count: 3)
            #expect(second.workerPids(of: "printer")[1] == respawned.subjectPid, "\(second)")
            let slot = (second.service("printer")?["workers"] as? [[String: Any]])?.first { $0["id"] as? Int == 1 }
            #expect(slot?["restarts"] as? Int == 1 && slot?["lastExit"] as? String == "killed:SIGKILL", "\(second)")
            #expect(second.service("printer")?["restarts"] as? Int == 1, "\(second)")

            // The table: the master, the service's counts, one row per worker.
            let table = try driver.control(socket: socket.path, ["status"])
            #expect(table.status == .exited(0), "\(table)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            let build = try #require(second.json?["build"] as? String, "\(second)")
            #expect(build.hasPrefix("1.0.0 (build "), "the demo's version and build-id: \(second)")
            #expect(lines.first == "master \(demo.pid) running, build \(build)", "\(table)")
            #expect(lines.contains("printer: 3 configured, 3 running, 3 ready, 1 restart"), "\(table)")
            let rows = lines.filter { $0.hasPrefix("  ") && $0.dropFirst(2).first?.isNumber == true }
                .map { $0.split(separator: " ").map(String.init) }
            #expect(rows.map { Int($0[0]) } == [0, 1, 2], "\(table)")
            for row in rows where row.count >= 6 {
                let id = Int(row[0])!
                #expect(Int32(row[1]) == second.workerPids(of: "printer")[id], "pid of \(id): \(table)")
                #expect(row[2] == "ready", "\(table)")
                #expect(row[4] == (id == 1 ? "1" : "0") && row[5] == (id == 1 ? "killed:SIGKILL" : "-"), "\(table)")
            }

            // The socket path from the environment.
            let fromEnvironment = try driver.control(
                socket: nil, ["status"], environment: ["COTYLEDON_CONTROL_SOCKET=\(socket.path)"])
            #expect(fromEnvironment.status == .exited(0) && fromEnvironment.stdout.hasPrefix("master \(demo.pid) "),
                    "\(fromEnvironment)")

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("scale up and down within min...max; out of range → exit 1 invalid-workers; unknown service → exit 1",
              .timeLimit(.minutes(1)))
        func scale() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2, "min_workers: 1", "max_workers: 5"))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            var mark = demo.cursor
            let up = try driver.control(socket: socket.path, ["scale", "printer", "4"])
            #expect(up.status == .exited(0) && up.stdout == "printer: scaling to 4 workers", "\(up)")
            let scaledUp = try demo.waitForEvent("scaled", from: mark)
            #expect(scaledUp.fields["workers"] == "4" && scaledUp.fields["service"] == "printer", "\(scaledUp)")
            let started = try demo.waitForEvents("worker-ready", count: 2, from: mark)
            #expect(Set(started.compactMap(\.worker)) == [2, 3])
            try Self.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]), matches: demo,
                                  driver: driver, count: 4)

            mark = demo.cursor
            let down = try driver.control(socket: socket.path, ["--json", "scale", "printer", "1"])
            #expect(down.status == .exited(0) && down.json?["ok"] as? Bool == true && down.json?["workers"] as? Int == 1,
                    "\(down)")
            let scaledDown = try demo.waitForEvent("scaled", from: mark)
            #expect(scaledDown.fields["workers"] == "1", "\(scaledDown)")
            let exits = try demo.waitForEvents("worker-exited", count: 3, from: mark) { $0.fields["reason"] == "scaled-down" }
            #expect(Set(exits.compactMap(\.worker)) == [1, 2, 3] && exits.allSatisfy { $0.fields["status"] == "exited:0" },
                    "the highest ids stop gracefully: \(exits)")
            try Self.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]), matches: demo,
                                  driver: driver, count: 1)

            mark = demo.cursor
            let tooMany = try driver.control(socket: socket.path, ["scale", "printer", "6"])
            #expect(tooMany.status == .exited(1) && tooMany.stderr.contains("[invalid-workers]"), "\(tooMany)")
            let tooFew = try driver.control(socket: socket.path, ["--json", "scale", "printer", "0"])
            #expect(tooFew.status == .exited(1) && tooFew.json?["code"] as? String == "invalid-workers"
                    && tooFew.json?["ok"] as? Bool == false && !(tooFew.json?["error"] as? String ?? "").isEmpty, "\(tooFew)")
            let unknown = try driver.control(socket: socket.path, ["--json", "scale", "typewriter", "2"])
            #expect(unknown.status == .exited(1) && unknown.json?["code"] as? String == "unknown-service", "\(unknown)")
            let usage = try driver.control(socket: socket.path, ["scale", "printer"])
            #expect(usage.status == .exited(64), "\(usage)")
            #expect(demo.events("scaled").filter { $0.index >= mark }.isEmpty, "refused requests changed nothing")
            try Self.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]), matches: demo,
                                  driver: driver, count: 1)

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("reload --wait: exit 0 after the reload completed; a bad file → exit 2 naming the file and line, nothing changed",
              .timeLimit(.minutes(1)))
        func reloadWait() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (config, socket, driver, demo) = (controlled.config, controlled.socket, controlled.driver, controlled.demo)

            try config.write(ConfigurationFixture.printer(workers: 3))
            var mark = demo.cursor
            let good = try driver.control(socket: socket.path, ["reload", "--wait"])
            #expect(good.status == .exited(0) && good.stdout == "reload complete", "\(good)")
            let complete = try demo.waitForEvent("reload-complete", from: mark)
            // Answered only once the reload had completed: the master wrote the event first.
            #expect((complete.mono ?? .infinity) <= good.exited, "reload-complete at \(complete.mono ?? -1), client done at \(good.exited)")
            _ = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 2 }
            try Self.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]), matches: demo,
                                  driver: driver, count: 3)

            // A reload that rolls the workers: answered after the roll completed.
            try config.write(ConfigurationFixture.printer(workers: 3, "readiness_timeout: 20"))
            mark = demo.cursor
            let rolled = try driver.control(socket: socket.path, ["reload", "--wait"])
            #expect(rolled.status == .exited(0), "\(rolled)")
            let rollComplete = try demo.waitForEvent("roll-complete", from: mark)
            #expect((rollComplete.mono ?? .infinity) <= rolled.exited,
                    "roll-complete at \(rollComplete.mono ?? -1), client done at \(rolled.exited)")
            _ = try demo.waitForEvent("reload-complete", from: mark)
            _ = try demo.waitForEvents("worker-exited", count: 3, from: mark) { $0.fields["reason"] == "reload" }

            let before = demo.liveWorkers()
            try config.write("services:\n  printer:\n    workers: 3\n    graceful_shutdown_timeout: soon\n")
            mark = demo.cursor
            let bad = try driver.control(socket: socket.path, ["reload", "--wait"])
            #expect(bad.status == .exited(2), "\(bad)")
            #expect(bad.stderr.contains("\(config.path):4:") && bad.stderr.contains("[reload-failed]"), "\(bad)")
            _ = try demo.waitForEvent("reload-failed", from: mark)
            let badJSON = try driver.control(socket: socket.path, ["--json", "reload", "--wait"])
            #expect(badJSON.status == .exited(2) && badJSON.json?["code"] as? String == "reload-failed"
                    && (badJSON.json?["error"] as? String ?? "").contains("\(config.path):4:"), "\(badJSON)")
            #expect(demo.liveWorkers() == before, "a failed reload touches no worker")
            #expect(demo.events("worker-exited").filter { $0.index >= mark }.isEmpty)

            // Without --wait: answered once started; the reload then completes.
            try config.write(ConfigurationFixture.printer(workers: 2))
            mark = demo.cursor
            let started = try driver.control(socket: socket.path, ["reload"])
            #expect(started.status == .exited(0) && started.stdout == "reload started", "\(started)")
            _ = try demo.waitForEvent("reload-complete", from: mark)
            _ = try demo.waitForEvent("worker-exited", from: mark) { $0.worker == 2 }
            try Self.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]), matches: demo,
                                  driver: driver, count: 2)

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("restart SERVICE: every pid changes, never fewer ready workers than configured", .timeLimit(.minutes(1)))
        func restartService() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 3))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
            let before = try driver.control(socket: socket.path, ["--json", "status"]).workerPids(of: "printer")
            #expect(before == demo.liveWorkers())

            let mark = demo.cursor
            let run = try driver.control(socket: socket.path, ["restart", "printer"])
            #expect(run.status == .exited(0) && run.stdout == "printer: restarting every worker (rolling)", "\(run)")
            let old = Set(before.values)
            let exits = try demo.waitForEvents("worker-exited", count: 3, from: mark) { $0.subjectPid.map(old.contains) ?? false }
            let lastExit = exits.map(\.index).max()!
            // Replay the master's ordered events: ready workers in service never drop below 3.
            let lowest = demo.fewestReadyWorkers(from: old, over: mark...lastExit)
            #expect(lowest >= 3, "ready workers dropped to \(lowest) during the restart")
            let after = try driver.control(socket: socket.path, ["--json", "status"])
            try Self.expectStatus(after, matches: demo, driver: driver, count: 3)
            #expect(Set(after.workerPids(of: "printer").values).isDisjoint(with: old), "every pid changed: \(before) → \(after)")

            let unknown = try driver.control(socket: socket.path, ["restart", "typewriter"])
            #expect(unknown.status == .exited(1) && unknown.stderr.contains("[unknown-service]"), "\(unknown)")

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("restart SERVICE WORKER: only that worker is replaced, its successor ready before it stops",
              .timeLimit(.minutes(1)))
        func restartWorker() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 3))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
            let before = try driver.control(socket: socket.path, ["--json", "status"]).workerPids(of: "printer")
            let old = try #require(before[1])

            let mark = demo.cursor
            let run = try driver.control(socket: socket.path, ["restart", "printer", "1"])
            #expect(run.status == .exited(0) && run.stdout == "printer: restarting worker 1", "\(run)")
            let exited = try demo.waitForEvent("worker-exited", from: mark) { $0.subjectPid == old }
            #expect(exited.fields["status"] == "exited:0", "stopped gracefully: \(exited)")
            let successor = try #require(demo.events("worker-ready").first { $0.index >= mark && $0.worker == 1 },
                                         "a new worker 1 was ready before the old one exited:\n\(demo.tail)")
            let stopping = demo.events("worker-stopping").first { $0.index >= mark && $0.subjectPid == old }
            #expect(successor.index < (stopping?.index ?? exited.index), "ready \(successor) before stopping \(String(describing: stopping))")
            let touched = demo.logLines.filter {
                $0.index >= mark && ["worker-started", "worker-stopping", "worker-exited"].contains($0.event ?? "") && $0.worker != 1
            }
            #expect(touched.isEmpty, "other workers untouched: \(touched)")
            let after = try driver.control(socket: socket.path, ["--json", "status"])
            try Self.expectStatus(after, matches: demo, driver: driver, count: 3)
            var expected = before
            expected[1] = successor.subjectPid
            #expect(after.workerPids(of: "printer") == expected, "\(before) → \(after)")

            let noSuchWorker = try driver.control(socket: socket.path, ["--json", "restart", "printer", "7"])
            #expect(noSuchWorker.status == .exited(1) && noSuchWorker.json?["ok"] as? Bool == false, "\(noSuchWorker)")

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("log-level: takes effect at once (info events are hidden at warning), bad level → exit 64",
              .timeLimit(.minutes(1)))
        func logLevel() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2, "min_workers: 1", "max_workers: 4"))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            let mark = demo.cursor
            let quiet = try driver.control(socket: socket.path, ["log-level", "warning"])
            #expect(quiet.status == .exited(0) && quiet.stdout == "log level: warning", "\(quiet)")
            // Executed before the answer: its `scaled` line (info) is not logged.
            let scale = try driver.control(socket: socket.path, ["scale", "printer", "3"])
            #expect(scale.status == .exited(0), "\(scale)")
            let loud = try driver.control(socket: socket.path, ["--json", "log-level", "info"])
            #expect(loud.status == .exited(0) && loud.json?["ok"] as? Bool == true, "\(loud)")
            // (The change to warning may itself be hidden: it is logged at notice.)
            let restored = try demo.waitForEvent("log-level", from: mark) { $0.fields["level"] == "info" }
            let hidden = demo.events("scaled").filter { $0.index >= mark && $0.index < restored.index }
            #expect(hidden.isEmpty, "info lines logged at level warning: \(hidden)")
            let status = try driver.control(socket: socket.path, ["--json", "status"])
            #expect(status.service("printer")?["configured"] as? Int == 3, "the scale still happened: \(status)")

            let mark2 = demo.cursor
            try #require(try driver.control(socket: socket.path, ["scale", "printer", "2"]).status == .exited(0))
            #expect(try demo.waitForEvent("scaled", from: mark2).fields["workers"] == "2", "info lines again")

            let bad = try driver.control(socket: socket.path, ["log-level", "chatty"])
            #expect(bad.status == .exited(64) && bad.stderr.contains("chatty"), "\(bad)")

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("stop and stop --fast: exit 0, the master stops in that mode, reaps its workers and exits 0; the socket is gone",
              .timeLimit(.minutes(1)), arguments: [false, true])
        func stop(fast: Bool) throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
            let workers = Set(demo.liveWorkers().values)

            let run = try driver.control(socket: socket.path, fast ? ["stop", "--fast"] : ["stop"])
            #expect(run.status == .exited(0) && run.stdout == (fast ? "stopping (fast)" : "stopping"), "\(run)")
            let exit = try demo.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(0), "\(demo.tail)")
            #expect(demo.events("stopping").first?.fields["mode"] == (fast ? "fast" : "graceful"), "\(demo.tail)")
            #expect(demo.events("master-exit").last?.fields["status"] == "0", "\(demo.tail)")
            try driver.waitForNoDescendants()
            let reapedByMaster = Set(demo.events("worker-exited").compactMap(\.subjectPid))
            #expect(reapedByMaster == workers, "the master reaped its workers itself: \(reapedByMaster) vs \(workers)")
            #expect(Set(driver.reapedPids).isDisjoint(with: workers), "no worker was left to the driver")
            #expect(!FileManager.default.fileExists(atPath: socket.path), "the master removed its socket")

            let after = try driver.control(socket: socket.path, ["status"])
            #expect(after.status == .exited(69), "\(after)")
            try driver.expectCleanEnd()
        }

        @Test("no daemon: exit 69 naming the path, whether the socket file is missing or stale", .timeLimit(.minutes(1)))
        func notRunning() throws {
            let socket = try ControlSocketFixture()
            let driver = try Driver()
            defer { driver.close() }
            let missing = try driver.control(socket: socket.path, ["status"])
            #expect(missing.status == .exited(69), "\(missing)")
            #expect(missing.stderr.contains(socket.path) && missing.stderr.contains("not running"), "\(missing)")
            #expect(missing.stdout.isEmpty, "\(missing)")

            // A socket file nobody listens on (left by a crashed daemon): ECONNREFUSED.
            try Self.makeStaleSocket(at: socket.path)
            let stale = try driver.control(socket: socket.path, ["--json", "reload", "--wait"])
            #expect(stale.status == .exited(69) && stale.stderr.contains(socket.path), "\(stale)")
            try driver.expectCleanEnd()
        }

        @Test("another uid: EACCES from the 0600 socket → exit 77; through an opened socket, the daemon's SO_PEERCRED check → exit 77",
              .timeLimit(.minutes(1)))
        func permissionDenied() throws {
            try #require(getuid() == 0, "needs root to run cotyledonctl as uid 65534")
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            let refused = try driver.control(socket: socket.path, ["status"], asUser: 65534)
            #expect(refused.status == .exited(77), "\(refused)")
            #expect(refused.stderr.contains("permission denied") && refused.stderr.contains(socket.path), "\(refused)")

            // Open the file's mode: the connection now reaches the master, which checks the peer.
            #expect(chmod(socket.path, 0o666) == 0)
            let rejected = try driver.control(socket: socket.path, ["--json", "scale", "printer", "3"], asUser: 65534)
            #expect(rejected.status == .exited(77), "\(rejected)")
            #expect(rejected.json?["code"] as? String == "permission-denied", "\(rejected)")
            #expect(demo.events("scaled").isEmpty, "the refused request did nothing")

            let owner = try driver.control(socket: socket.path, ["--json", "status"])
            try Self.expectStatus(owner, matches: demo, driver: driver, count: 2)
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a stale socket file is replaced at start; a second daemon on a live socket is refused", .timeLimit(.minutes(1)))
        func staleSocketReplaced() throws {
            let config = try ConfigurationFixture()
            try config.write(ConfigurationFixture.printer(workers: 2))
            let socket = try ControlSocketFixture()
            try Self.makeStaleSocket(at: socket.path)
            let driver = try Driver()
            defer { driver.close() }
            let demo = try Self.startDemo(driver, config: config, socket: socket)
            try Self.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]), matches: demo,
                                  driver: driver, count: 2)

            let second = try driver.spawn("cotyledon-demo", ["--config", config.path] + socket.daemonArguments)
            let exit = try second.waitForExit(timeout: .seconds(15))
            #expect(exit.status != .exited(0), "\(second.tail)")
            #expect(second.text(of: "stderr").contains(socket.path), "names the socket: \(second.tail)")
            #expect(second.events("worker-started").isEmpty, "nothing forked: \(second.tail)")
            let still = try driver.control(socket: socket.path, ["--json", "status"])
            #expect(still.json?["pid"] as? Int == Int(demo.pid), "the first daemon still serves: \(still)")

            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        /// Leaves a unix socket file at `path` that nothing listens on, as a crashed master does.
        static func makeStaleSocket(at path: String) throws {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            let error = errno
            close(fd)
            guard bound == 0 else { throw DriverError("bind \(path): \(String(cString: strerror(error)))") }
        }
    }
}
