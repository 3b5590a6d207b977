import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.UpgradeTests {
    /// Replaces the daemon's executable with a script that becomes a copy of the real
    /// program: in check mode with the original arguments, in the new image (after the
    /// `execve`) with `extra` added; `gate`, a FIFO, holds the check until the test writes it.
    private static func wrap(_ daemon: Daemon, newImageArguments extra: String, gate fifo: String? = nil) throws {
        let real = daemon.driver.runtimeDirectory + "/answerer-real"
        try Daemon.install(try Data(contentsOf: URL(fileURLWithPath: daemon.executable)), at: real)
        if let fifo {
            guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
        }
        let wait = fifo.map { "read line < '\($0)'" } ?? ":"
        try daemon.replaceExecutable(withScript: """
            if [ -n "$COTYLEDON_UPGRADE_STATE" ]; then exec '\(real)' "$@" \(extra); fi
            \(wait)
            exec '\(real)' "$@"
            """)
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
        try Self.wrap(daemon, newImageArguments: "", gate: fifo)
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
        try Self.wrap(daemon, newImageArguments: "--thread-before-run")
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
        try Self.wrap(daemon, newImageArguments: "--sidecar-pid-file '\(pidFile)'")
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
}
