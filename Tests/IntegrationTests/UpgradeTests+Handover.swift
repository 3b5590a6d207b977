import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.UpgradeTests {
    /// Replaces the executable at `path` with a script that becomes a copy of the real
    /// program: in check mode with the original arguments, in the new image (after the
    /// `execve`) with `newImageArguments` (shell words, `"$@"` the original ones); `gate`, a
    /// FIFO, holds the check until the test writes it.
    private static func wrap(_ path: String, newImageArguments: String = "\"$@\"", gate fifo: String? = nil) throws {
        let real = path + "-real"
        try Deployment.install(copyOf: path, at: real)
        if let fifo {
            guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
        }
        let wait = fifo.map { "read line < '\($0)'" } ?? ":"
        try Deployment.install(script: """
            if [ -n "$COTYLEDON_UPGRADE_STATE" ]; then exec '\(real)' \(newImageArguments); fi
            \(wait)
            exec '\(real)' "$@"
            """, at: path)
    }

    /// Lets a check held on `fifo` go on (O_RDWR opens a FIFO without waiting for the reader).
    private static func release(_ fifo: String) throws {
        let writer = open(fifo, O_RDWR)
        defer { close(writer) }
        guard writer >= 0, write(writer, "go\n", 3) == 3 else { throw DriverError("writing \(fifo) failed") }
    }

    @Test("a reload --wait client asked during the check is answered by the new image once its reload is done",
          .timeLimit(.minutes(2)))
    func aReloadWaiterCrossesTheExec() throws {
        let driver = try Driver()
        defer { driver.close() }
        let file = try ConfigurationFixture()
        try file.write("services:\n  answerer:\n    workers: 2\n")
        let daemon = try Daemon(driver: driver, configuration: file.path)
        let fifo = driver.runtimeDirectory + "/go.fifo"
        try Self.wrap(daemon.executable, gate: fifo)
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        _ = try daemon.process.waitForEvent("upgrade-requested", from: mark)
        try file.write("services:\n  answerer:\n    workers: 3\n")
        let client = try driver.spawn("cotyledonctl", ["--socket", daemon.control.path, "reload", "--wait"])
        _ = try daemon.process.waitForEvent("reload-queued", from: mark)
        try Self.release(fifo)
        let exit = try client.waitForExit(timeout: .seconds(60))
        #expect(exit.status == .exited(0), "the reload's client gets its answer: \(client.lines)")
        let complete = try daemon.process.waitForEvent("upgrade-complete", from: mark)
        _ = try daemon.process.waitForEvent("reload-complete", from: complete.index)
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("a control socket file removed before the upgrade: the new image creates it again and answers there",
          .timeLimit(.minutes(2)))
    func aRemovedControlSocketIsCreatedAgain() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let before = try daemon.status()
        try FileManager.default.removeItem(atPath: daemon.control.path)
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        _ = try daemon.process.waitForEvent("upgrade-control-socket-recreated", from: mark)
        _ = try daemon.process.waitForEvent("upgrade-complete", from: mark)
        let after = try daemon.status()
        #expect(after.master == before.master, "same master: \(after)")
        #expect(Set(after.pids.values).isDisjoint(with: Set(before.pids.values)), "every worker replaced")
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("a new image whose run() refuses to start (a thread started before it) exits 71, which systemd restarts, and the workers go",
          .timeLimit(.minutes(2)))
    func aNewImageThatCannotStartExits71() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let workers = try daemon.status().pids.values
        try Self.wrap(daemon.executable, newImageArguments: "\"$@\" --thread-before-run")
        try driver.signal(daemon.process.pid, SIGUSR2)
        let exit = try daemon.process.waitForExit(timeout: .seconds(30))
        #expect(exit.status == .exited(71), "\(exit.status)")
        #expect(daemon.process.lines.contains { $0.text.contains("in-place upgrade failed") }, "\(daemon.process.lines.suffix(5))")
        try driver.waitForNoDescendants(timeout: .seconds(20))
        let reaped = Set(driver.reapedPids)
        #expect(workers.allSatisfy { reaped.contains($0) || kill($0, 0) != 0 }, "no worker outlives the master: \(workers)")
        try driver.expectCleanEnd()
    }

    @Test("a process the new image's own code starts before run() inherits none of the handed-over descriptors",
          .timeLimit(.minutes(2)))
    func aChildStartedBeforeRunInheritsNothing() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let pidFile = driver.runtimeDirectory + "/sidecar.pid"
        try Self.wrap(daemon.executable, newImageArguments: "\"$@\" --sidecar-pid-file '\(pidFile)'")
        let mark = daemon.process.cursor
        try driver.signal(daemon.process.pid, SIGUSR2)
        _ = try daemon.process.waitForEvent("upgrade-complete", from: mark)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let sidecar = try #require(Int32(text))
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(sidecar)/fd").compactMap(Int.init).sorted()
        let links = descriptors.map { "\($0) -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sidecar)/fd/\($0)")) ?? "?") }
        #expect(descriptors == [0, 1, 2], "only the standard descriptors: \(links)")
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("the new build moves the control socket: the upgrade --wait client is answered there, the old socket file removed",
          .timeLimit(.minutes(2)))
    func aMovedControlSocketKeepsTheWaitingClient() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver)
        let moved = try ControlSocketFixture()
        // The fixture takes the first --control-socket: the new image's comes before the original ones.
        try Self.wrap(daemon.executable, newImageArguments: "\"$1\" --control-socket '\(moved.path)' \"$@\"")
        let mark = daemon.process.cursor
        let run = try daemon.upgrade()
        #expect(run.status == .exited(0), "answered by the new image: \(run)")
        _ = try daemon.process.waitForEvent("upgrade-complete", from: mark)
        #expect(!FileManager.default.fileExists(atPath: daemon.control.path), "the old socket's file is removed")
        let status = try driver.control(socket: moved.path, ["--json", "status"])
        #expect(status.status == .exited(0) && status.json?["pid"] as? Int == Int(daemon.process.pid), "\(status)")
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("a service the new build lacks: its worker is stopped, its exit named as such, and the upgrade completes",
          .timeLimit(.minutes(2)))
    func aVanishedServiceIsStopped() throws {
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Daemon(driver: driver, workers: 1, options: ["--with-fixture-service"])
        let before = try driver.control(socket: daemon.control.path, ["--json", "status"])
        let vanished = try #require(before.workerPids(of: "fixture")[0])
        // The new build registers the answerer only.
        try Self.wrap(daemon.executable,
                      newImageArguments: "$(for a in \"$@\"; do [ \"$a\" = --with-fixture-service ] || printf '%s\\n' \"$a\"; done)")
        let mark = daemon.process.cursor
        let run = try daemon.upgrade()
        #expect(run.status == .exited(0), "\(run)")
        let exited = try daemon.process.waitForEvent("upgrade-vanished-worker-exited", from: mark)
        #expect(exited.subjectPid == vanished && exited.fields["service"] == "fixture", "\(exited)")
        let after = try driver.control(socket: daemon.control.path, ["--json", "status"])
        #expect(after.service("fixture") == nil && after.workerPids(of: "answerer").count == 1, "\(after)")
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }

    @Test("started as ./program, the program changes directory before run(): the upgrade still finds its file",
          .timeLimit(.minutes(2)))
    func aRelativePathIsResolvedBeforeUserCodeMoves() throws {
        let driver = try Driver()
        defer { driver.close() }
        let executable = try Daemon.install(in: driver)
        let control = try ControlSocketFixture()
        let arguments = ["listeners", "--workers", "1", "--listen", "http=127.0.0.1:0", "--chdir-before-run"] + control.daemonArguments
        let daemon = try driver.spawn(path: "/bin/sh", argv: ["sh", "-c", "cd \"$0\" && exec ./answerer-daemon \"$@\"", driver.runtimeDirectory]
                                      + arguments)
        _ = try daemon.waitForEvent("all-ready")
        let mark = daemon.cursor
        let run = try driver.control(socket: control.path, ["upgrade", "--wait"])
        #expect(run.status == .exited(0), "\(run)")
        let requested = try daemon.waitForEvent("upgrade-requested", from: mark)
        #expect(requested.fields["path"] == executable, "\(requested)")
        try daemon.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }
}
