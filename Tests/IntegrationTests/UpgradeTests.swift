import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// In-place upgrade of the master (SIGUSR2, `cotyledonctl upgrade`): the fixture's
    /// answerer runs from a copy of its executable in the driver's runtime directory, which
    /// the tests replace with scripts to make the check or the `execve` fail.
    @Suite
    struct UpgradeTests {
        /// The fixture copied to the runtime directory, running the answerer on a port-0
        /// listener with a control socket.
        struct Daemon {
            let driver: Driver
            let executable: String
            let control: ControlSocketFixture
            let process: DaemonProcess

            /// `listen`: the `--listen NAME=ADDRESS` arguments; `options`: more of the fixture's.
            init(driver: Driver, workers: Int = 2, configuration: String? = nil, environment: [String] = [],
                 listen: [String] = ["http=127.0.0.1:0"], options: [String] = []) throws {
                self.driver = driver
                executable = try Self.install(in: driver)
                control = try ControlSocketFixture()
                let arguments = ["listeners", "--workers", "\(workers)"] + listen.flatMap { ["--listen", $0] }
                    + (configuration.map { ["--config", $0] } ?? []) + options + control.daemonArguments
                process = try driver.spawn(path: executable, argv: [executable] + arguments, environment: environment)
                _ = try process.waitForEvent("all-ready")
            }

            /// Copies the fixture to the driver's runtime directory as `answerer-daemon`.
            /// - Returns: the copy's path.
            static func install(in driver: Driver) throws -> String {
                try FileManager.default.createDirectory(atPath: driver.runtimeDirectory, withIntermediateDirectories: true)
                let executable = driver.runtimeDirectory + "/answerer-daemon"
                try Deployment.install(copyOf: try BuildProducts.path(of: "cotyledon-fixture"), at: executable)
                return executable
            }

            /// Replaces the executable with a shell script (atomically, as a deploy would).
            func replaceExecutable(withScript body: String) throws {
                try Deployment.install(script: body, at: executable)
            }

            /// `cotyledonctl upgrade --wait`.
            func upgrade() throws -> ControlRun {
                try driver.control(socket: control.path, ["upgrade", "--wait"])
            }

            /// The answerer's workers (id → pid) in `status`, and their states.
            func status() throws -> (pids: [Int: Int32], states: [String], build: String?, master: Int?) {
                let run = try driver.control(socket: control.path, ["--json", "status"])
                guard run.status == .exited(0) else { throw DriverError("status failed: \(run)") }
                let workers = run.service("answerer")?["workers"] as? [[String: Any]] ?? []
                return (run.workerPids(of: "answerer"), workers.compactMap { $0["state"] as? String }, run.json?["build"] as? String,
                        run.json?["pid"] as? Int)
            }
        }

        @Test("upgrade to the same path: same master pid, every worker new and ready, running the file, the listener still answers",
              .timeLimit(.minutes(2)))
        func upgradeInPlace() throws {
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try Daemon(driver: driver)
            let port = try daemon.process.listenerPort(named: "http")
            let before = try daemon.status()
            #expect(before.pids.count == 2 && before.build != nil, "\(before)")
            let mark = daemon.process.cursor
            let run = try daemon.upgrade()
            #expect(run.status == .exited(0), "\(run)")
            _ = try daemon.process.waitForEvent("upgrade-complete", from: mark)
            let adopted = try daemon.process.waitForEvent("upgrade-adopted", from: mark)
            #expect(adopted.fields["workers"] == "2", "\(adopted)")
            #expect(daemon.process.events("master-started").count == 2, "the new image started in the same process")
            // The replaced workers exit after the answer: wait for them, then look.
            let old = Set(before.pids.values)
            _ = try daemon.process.waitForEvents("worker-exited", count: 2, from: mark) { old.contains($0.subjectPid ?? 0) }
            let after = try daemon.status()
            #expect(before.master == Int(daemon.process.pid) && after.master == before.master, "same master pid: \(before) → \(after)")
            #expect(Set(after.pids.keys) == [0, 1] && after.states == ["ready", "ready"], "\(after)")
            #expect(Set(after.pids.values).isDisjoint(with: Set(before.pids.values)), "every worker replaced: \(before.pids) → \(after.pids)")
            for pid in after.pids.values {
                let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
                #expect(exe == daemon.executable, "worker \(pid) runs \(exe)")
            }
            // What crossed the execve is the new image's own again; the state record is closed.
            let descriptors = try FileDescriptorTable(pid: daemon.process.pid).targets.values
            #expect(!descriptors.contains { $0.contains("cotyledon-upgrade-state") }, "\(descriptors)")
            #expect(descriptors.filter { $0.contains("memfd:cotyledon-log-level") }.count == 1, "\(descriptors)")
            let answer = try ListenerTests.ask(port: port)
            #expect(answer.listener == "http" && Set(after.pids.values).contains(answer.pid), "\(answer) from \(after.pids)")
            // The new image kept the adopted listener: same socket, same port.
            let kept = try daemon.process.waitForEvent("listener-kept", from: mark)
            #expect(kept.fields["address"] == "127.0.0.1:\(port)" && daemon.process.events("listener-opened").count == 1, "\(kept)")
            try daemon.process.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a check that fails refuses the upgrade with its reason and changes nothing: missing file, not executable, exit 1, SIGSEGV",
              .timeLimit(.minutes(2)))
        func refusedChecksChangeNothing() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try Daemon(driver: driver, environment: ["NOTIFY_SOCKET=\(socket.path)"])
            let before = try daemon.status().pids
            let cases: [(String, () throws -> Void, String)] = [
                ("missing", { try FileManager.default.removeItem(atPath: daemon.executable) }, "No such file or directory"),
                ("not executable", {
                    try daemon.replaceExecutable(withScript: "echo cotyledon-upgrade-check ok build=x")
                    chmod(daemon.executable, 0o644)
                }, "Permission denied"),
                ("exit 1", { try daemon.replaceExecutable(withScript: "echo the configuration is broken; exit 1") },
                 "exited with status 1: the configuration is broken"),
                ("SIGSEGV", { try daemon.replaceExecutable(withScript: "echo crashing; kill -SEGV $$") }, "killed by SIGSEGV"),
            ]
            for (name, prepare, reason) in cases {
                try prepare()
                let mark = daemon.process.cursor
                let run = try daemon.upgrade()
                #expect(run.status != .exited(0) && run.stderr.contains(reason), "\(name): \(run)")
                let refused = try daemon.process.waitForEvent("upgrade-refused", from: mark)
                #expect(refused.fields["error"]?.contains(reason) == true, "\(name): \(refused)")
                #expect(try daemon.status().pids == before, "\(name): the workers are untouched")
                let ready = try socket.waitFor("READY=1 after the refusal (\(name))") {
                    $0.fields["READY"] == "1" && $0.fields["STATUS"]?.contains(reason) == true
                }
                #expect(ready.fields["STATUS"]?.hasPrefix("upgrade refused: ") == true, "\(name): \(ready)")
            }
            #expect(daemon.process.events("upgrade-exec").isEmpty && daemon.process.events("worker-exited").isEmpty)
            try daemon.process.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("the execve fails after a passing check: upgrade-exec-failed, the old image goes on", .timeLimit(.minutes(2)))
        func execFailureKeepsTheOldImage() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try Daemon(driver: driver, environment: ["NOTIFY_SOCKET=\(socket.path)"])
            let before = try daemon.status().pids
            try daemon.replaceExecutable(withScript: "chmod a-x \"$0\"\necho cotyledon-upgrade-check ok build=next\nexit 0")
            let mark = daemon.process.cursor
            let run = try daemon.upgrade()
            #expect(run.status != .exited(0) && run.stderr.contains("Permission denied"), "\(run)")
            let failed = try daemon.process.waitForEvent("upgrade-exec-failed", from: mark)
            #expect(failed.fields["error"]?.contains("exec \(daemon.executable)") == true, "\(failed)")
            _ = try socket.waitFor("RELOADING=1") { $0.fields["RELOADING"] == "1" && $0.fields["STATUS"] == "upgrading" }
            let ready = try socket.waitFor("READY=1 after the failed exec") { $0.fields["READY"] == "1" && $0.fields["STATUS"] != "upgrading" }
            #expect(ready.fields["STATUS"]?.hasPrefix("upgrade failed: exec \(daemon.executable): ") == true, "\(ready)")
            #expect(try daemon.status().pids == before, "the old image keeps its workers")
            // Still supervising: a killed worker is replaced.
            let mark2 = daemon.process.cursor
            try driver.signal(before[0]!, SIGKILL)
            _ = try daemon.process.waitForEvent("worker-ready", from: mark2) { $0.worker == 0 }
            try daemon.process.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("the new image dies after the execve: the master's status is not 64, 70 or 78 and every worker exits",
              .timeLimit(.minutes(2)))
        func aDeadNewImageTakesTheWorkersWithIt() throws {
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try Daemon(driver: driver)
            let workers = try daemon.status().pids.values
            try daemon.replaceExecutable(withScript: """
                if [ -n "$COTYLEDON_UPGRADE_STATE" ]; then echo dying; exit 1; fi
                echo cotyledon-upgrade-check ok build=next
                """)
            try driver.signal(daemon.process.pid, SIGUSR2)
            let exit = try daemon.process.waitForExit(timeout: .seconds(30))
            #expect(![ExitStatus.exited(64), .exited(70), .exited(78)].contains(exit.status), "\(exit.status)")
            #expect(exit.status == .exited(1), "the script's own status: \(exit.status)")
            try driver.waitForNoDescendants(timeout: .seconds(20))
            let reaped = Set(driver.reapedPids)
            // The workers outlived the shell, which reaps none: orphans, the driver reaped each.
            #expect(workers.allSatisfy { reaped.contains($0) }, "no worker outlives the master: \(workers) reaped \(reaped)")
            try driver.expectCleanEnd()
        }

        @Test("SIGTERM during the check: the stop completes with status 0 and the check run is gone", .timeLimit(.minutes(2)))
        func aStopDuringTheCheckEndsIt() throws {
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try Daemon(driver: driver)
            let fifo = driver.runtimeDirectory + "/check.fifo"
            guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
            // Opening the FIFO blocks until a writer comes: none ever does.
            try daemon.replaceExecutable(withScript: "read line < '\(fifo)'\necho cotyledon-upgrade-check ok build=never")
            let mark = daemon.process.cursor
            try driver.signal(daemon.process.pid, SIGUSR2)
            let requested = try daemon.process.waitForEvent("upgrade-requested", from: mark)
            let check = try #require(requested.subjectPid)
            try ProcStatus.waitUntil("the check run is the script", timeout: .seconds(10)) {
                (try? String(contentsOfFile: "/proc/\(check)/cmdline", encoding: .utf8))?.contains("answerer-daemon") == true
            }
            let started = try ProcStatus.startTime(of: check)
            // A clean exit: the driver reaped no process but the master, so the check run
            // did not outlive it, and nothing the driver started is left.
            try daemon.process.stopAndExpectCleanExit()
            #expect(!driver.reapedPids.contains(check), "the master reaped its check run \(check)")
            // A process with the check run's pid now would be another one: its start time differs.
            #expect((try? ProcStatus.startTime(of: check)) != started, "the check run \(check) is gone")
            try driver.expectCleanEnd()
        }

        @Test("an upgrade asked for while a reload rolls the workers is refused", .timeLimit(.minutes(2)))
        func refusedDuringARoll() throws {
            let driver = try Driver()
            defer { driver.close() }
            let file = try ConfigurationFixture()
            try file.write("services:\n  answerer:\n    workers: 2\n")
            let daemon = try Daemon(driver: driver, configuration: file.path)
            // A changed setting rolls the workers. The master is paused while both signals
            // arrive, so that it reads them together: the reload starts its roll, then the
            // upgrade finds it under way.
            try file.write("services:\n  answerer:\n    workers: 2\n    readiness_timeout: 20\n")
            let mark = daemon.process.cursor
            try ListenerTests.pause(daemon.process.pid, driver: driver)
            try driver.signal(daemon.process.pid, SIGHUP)
            try driver.signal(daemon.process.pid, SIGUSR2)
            try driver.signal(daemon.process.pid, SIGCONT)
            let refused = try daemon.process.waitForEvent("upgrade-refused", from: mark)
            #expect(refused.fields["error"] == "a reload is in progress; upgrade when it completes", "\(refused)")
            _ = try daemon.process.waitForEvent("reload-complete", from: mark)
            #expect(daemon.process.events("upgrade-requested").isEmpty, "no check run started")
            try daemon.process.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}

extension DaemonSuite.UpgradeTests {
    @Test("demo to demo-next: the file is replaced, the build changes in status, systemd hears RELOADING=1 then READY=1 with the new build",
          .timeLimit(.minutes(2)))
    func upgradeToTheNextBuild() throws {
        let socket = try NotifySocket()
        let driver = try Driver()
        defer { driver.close() }
        try FileManager.default.createDirectory(atPath: driver.runtimeDirectory, withIntermediateDirectories: true)
        let executable = driver.runtimeDirectory + "/demo"
        try Deployment.install(copyOf: try BuildProducts.path(of: "cotyledon-demo"), at: executable)
        let control = try ControlSocketFixture()
        let demo = try driver.spawn(path: executable, argv: [executable, "--workers", "2", "--control-socket", control.path],
                                    environment: ["NOTIFY_SOCKET=\(socket.path)"])
        _ = try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
        let before = try driver.control(socket: control.path, ["--json", "status"])
        #expect((before.json?["build"] as? String)?.hasPrefix("1.0.0 (build ") == true, "\(before)")
        // A deploy renames the new file over the old path.
        try Deployment.install(copyOf: try BuildProducts.path(of: "cotyledon-demo-next"), at: executable)
        let run = try driver.control(socket: control.path, ["upgrade", "--wait"])
        #expect(run.status == .exited(0), "\(run)")
        _ = try socket.waitFor("RELOADING=1") { $0.fields["RELOADING"] == "1" && $0.fields["STATUS"] == "upgrading" }
        let old = Set(before.workerPids(of: "printer").values)
        _ = try demo.waitForEvents("worker-exited", count: 2) { old.contains($0.subjectPid ?? 0) }
        let ready = try socket.waitFor("READY=1 after the upgrade") { $0.fields["READY"] == "1" && $0.fields["STATUS"]?.hasPrefix("upgraded") == true }
        #expect(ready.fields["STATUS"]?.hasPrefix("upgraded to 1.1.0-next (build ") == true, "\(ready)")
        let after = try driver.control(socket: control.path, ["--json", "status"])
        #expect(after.json?["pid"] as? Int == Int(demo.pid), "\(after)")
        #expect((after.json?["build"] as? String)?.hasPrefix("1.1.0-next (build ") == true, "\(after)")
        let workers = after.service("printer")?["workers"] as? [[String: Any]] ?? []
        #expect(workers.count == 2 && workers.allSatisfy { ($0["build"] as? String) == after.json?["build"] as? String }, "\(after)")
        #expect(Set(after.workerPids(of: "printer").values).isDisjoint(with: Set(before.workerPids(of: "printer").values)))
        try demo.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("demo: a configuration file that breaks between the check and the exec makes the new image exit 71 (systemd restarts it), not 78, and the workers go",
          .timeLimit(.minutes(2)))
    func aConfigurationBrokenAfterTheCheckExits71() throws {
        let driver = try Driver()
        defer { driver.close() }
        try FileManager.default.createDirectory(atPath: driver.runtimeDirectory, withIntermediateDirectories: true)
        let configuration = try ConfigurationFixture()
        try configuration.write(ConfigurationFixture.printer(workers: 2))
        let real = driver.runtimeDirectory + "/demo-real"
        let executable = driver.runtimeDirectory + "/demo"
        try Deployment.install(copyOf: try BuildProducts.path(of: "cotyledon-demo"), at: real)
        try Deployment.install(copyOf: real, at: executable)
        let demo = try driver.spawn(path: executable, argv: [executable, "--config", configuration.path])
        _ = try demo.waitForEvent("all-ready", timeout: .seconds(30))
        let workers = Set(try demo.waitForEvents("worker-ready", count: 2, timeout: .seconds(5)).compactMap(\.subjectPid))
        // The new "build" passes the check as the real demo, then, in the new image, breaks
        // the file before the real demo reads it.
        try Deployment.install(script: """
            if [ -n "$COTYLEDON_UPGRADE_STATE" ]; then echo 'services: [' > '\(configuration.path)'; fi
            exec '\(real)' "$@"
            """, at: executable)
        try driver.signal(demo.pid, SIGUSR2)
        let exit = try demo.waitForExit(timeout: .seconds(30))
        #expect(exit.status == .exited(71), "the new image's status: \(exit.status); last lines: \(demo.lines.suffix(3).map(\.text))")
        try driver.waitForNoDescendants(timeout: .seconds(20))
        let reaped = Set(driver.reapedPids)
        #expect(workers.count == 2 && workers.allSatisfy { reaped.contains($0) }, "the adopted workers exit with the master: \(workers), reaped \(reaped)")
    }

    @Test("check mode opens nothing and forks nothing: one ok line with the build on stdout, exit 0", .timeLimit(.minutes(1)))
    func checkModePrintsOneLine() throws {
        let driver = try Driver()
        defer { driver.close() }
        let control = try ControlSocketFixture()
        let check = try driver.spawn("cotyledon-fixture", ["listeners", "--listen", "http=127.0.0.1:0"] + control.daemonArguments,
                                     environment: ["COTYLEDON_UPGRADE_CHECK=1"])
        let exit = try check.waitForExit()
        #expect(exit.status == .exited(0), "\(check.lines)")
        let stdout = check.lines.filter { $0.stream == "stdout" }.map(\.text)
        #expect(stdout.count == 1 && stdout[0].hasPrefix("cotyledon-upgrade-check ok build=build "), "\(check.lines)")
        #expect(check.logLines.isEmpty, "no listener opened, no master started: \(check.lines)")
        #expect(!FileManager.default.fileExists(atPath: control.path), "no control socket")
        try driver.expectCleanEnd()
    }
}

extension DaemonSuite.UpgradeTests {
    @Test("a check past upgrade_check_timeout is killed and the upgrade refused", .timeLimit(.minutes(1)))
    func aCheckPastItsDeadlineIsRefused() throws {
        let driver = try Driver()
        defer { driver.close() }
        let file = try ConfigurationFixture()
        try file.write("upgrade_check_timeout: 1\nservices:\n  answerer:\n    workers: 2\n")
        let daemon = try Daemon(driver: driver, configuration: file.path)
        let before = try daemon.status().pids
        let fifo = driver.runtimeDirectory + "/never.fifo"
        guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
        try daemon.replaceExecutable(withScript: "read line < '\(fifo)'\necho cotyledon-upgrade-check ok build=never")
        let mark = daemon.process.cursor
        let run = try daemon.upgrade()
        #expect(run.status != .exited(0) && run.stderr.contains("did not finish within 1"), "\(run)")
        let requested = try daemon.process.waitForEvent("upgrade-requested", from: mark)
        let refused = try daemon.process.waitForEvent("upgrade-refused", from: mark)
        #expect(refused.fields["error"]?.contains("did not finish within") == true, "\(refused)")
        let check = try #require(requested.subjectPid)
        // Every process the master starts descends from the driver: a pid reused by a process
        // elsewhere on the machine is not among them.
        #expect(!(try driver.ps()).contains { $0.pid == check }, "the check run \(check) was killed and reaped")
        #expect(try daemon.status().pids == before)
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("a reload asked for during the check runs in the new image once the upgrade is complete", .timeLimit(.minutes(2)))
    func aReloadDuringTheCheckRunsAfterTheUpgrade() throws {
        let driver = try Driver()
        defer { driver.close() }
        let file = try ConfigurationFixture()
        try file.write("services:\n  answerer:\n    workers: 2\n")
        let daemon = try Daemon(driver: driver, configuration: file.path)
        // The check waits for the test on a FIFO, then becomes the real program; so does the
        // new image, at once.
        let real = driver.runtimeDirectory + "/answerer-real"
        try Deployment.install(copyOf: daemon.executable, at: real)
        let fifo = driver.runtimeDirectory + "/go.fifo"
        guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
        try daemon.replaceExecutable(withScript: """
            if [ -z "$COTYLEDON_UPGRADE_STATE" ]; then read line < '\(fifo)'; fi
            exec '\(real)' "$@"
            """)
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        _ = try daemon.process.waitForEvent("upgrade-requested", from: mark)
        try file.write("services:\n  answerer:\n    workers: 3\n")
        try driver.signal(daemon.process.pid, SIGHUP)
        let queued = try daemon.process.waitForEvent("reload-queued", from: mark)
        // Let the check go on (O_RDWR opens a FIFO without waiting for the reader).
        let writer = open(fifo, O_RDWR)
        defer { close(writer) }
        guard writer >= 0, write(writer, "go\n", 3) == 3 else { throw DriverError("writing \(fifo) failed") }
        let complete = try daemon.process.waitForEvent("upgrade-complete", from: queued.index)
        let reloaded = try daemon.process.waitForEvent("reload-complete", from: complete.index)
        #expect(daemon.process.events("reloading").count == 1 && reloaded.fields["result"] == "success", "the queued reload ran once")
        // The new image read the file at its start already: its third worker is forked then.
        _ = try daemon.process.waitForEvents("worker-ready", count: 1, from: mark) { $0.worker == 2 }
        let after = try daemon.status()
        #expect(Set(after.pids.keys) == [0, 1, 2], "the reload's worker count: \(after)")
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }
}
