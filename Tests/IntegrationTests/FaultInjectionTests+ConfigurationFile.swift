import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// The configuration file replaced by something the master must not wait on: a named
    /// pipe (opening one for reading waits for a writer), a file over the size limit, a big
    /// file that takes the parser to its last line.
    @Suite
    struct ConfigurationFileFaults {
        /// The old reader opened the path blocking: the demo sat in `open()` forever, so the
        /// deadline of `waitForExit` fails that code.
        @Test("FIFO at the configuration path at start: exit 78 naming it, never a hang", .timeLimit(.minutes(1)))
        func namedPipeAtStartExits78() throws {
            let file = try ConfigurationFixture()
            #expect(mkfifo(file.path, 0o600) == 0)
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            let exit = try demo.waitForExit(timeout: .seconds(20))
            #expect(exit.status == .exited(78), "log:\n\(demo.tail)")
            #expect(demo.text(of: "stderr").contains("\(file.path): not a regular file but a named pipe (FIFO) — point to the configuration file itself"),
                    "log:\n\(demo.tail)")
            #expect(demo.events("worker-started").isEmpty)
            try driver.expectCleanEnd()
        }

        /// The old master blocked in `open()` on SIGHUP: no `reload-failed`, killed workers
        /// left as zombies, SIGTERM ignored until a writer came.
        @Test("FIFO swapped in + SIGHUP: reload-failed naming it, a killed worker is respawned, SIGTERM stops it",
              .timeLimit(.minutes(1)))
        func namedPipeOnReloadFailsTheReloadOnly() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvent("all-ready")
            let before = demo.liveWorkers()
            #expect(unlink(file.path) == 0 && mkfifo(file.path, 0o600) == 0)
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            try driver.signal(before[0]!, SIGKILL)
            let failure = try demo.waitForEvent("reload-failed", from: mark, timeout: .seconds(20))
            #expect(failure.message.contains("not a regular file but a named pipe (FIFO)"), "\(failure)")
            let respawned = try demo.waitForEvent("worker-started", from: mark, timeout: .seconds(20)) { $0.worker == 0 }
            _ = try demo.waitForEvent("worker-ready", from: respawned.index) { $0.worker == 0 }
            #expect(respawned.subjectPid != before[0], "a new worker 0: \(respawned)")
            // Still supervising after the failed reload: another kill, another respawn.
            let mark2 = demo.cursor
            try driver.signal(before[1]!, SIGKILL)
            _ = try demo.waitForEvent("worker-ready", from: mark2) { $0.worker == 1 }
            try demo.stopAndExpectCleanExit(timeout: .seconds(10))
            try driver.expectCleanEnd()
        }

        @Test("a file over the 1 MiB limit + SIGHUP: reload-failed naming its size and the limit, nothing changes",
              .timeLimit(.minutes(1)))
        func fileOverTheLimitIsRefusedWithItsSize() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvent("all-ready")
            let before = demo.liveWorkers()
            let limit = 1 << 20
            let valid = ConfigurationFixture.printer(workers: 3)
            try file.write(valid + String(repeating: "#", count: limit + 1 - valid.utf8.count))
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            let failure = try demo.waitForEvent("reload-failed", from: mark)
            #expect(failure.message.contains("\(file.path): the file is \(limit + 1) bytes, more than the limit of \(limit) bytes"),
                    "\(failure)")
            #expect(demo.liveWorkers() == before, "no worker touched")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        /// 938 KB: 95,000 top-level keys `kN: 1`, the first one repeated on the last line,
        /// so the parse runs to the end of the file and fails there. The old reader compared
        /// each key with every earlier one (27 s of CPU in a release build) with the master
        /// frozen; the deadlines below fail it. The reload runs in the master's loop turn, so
        /// a worker killed after the SIGHUP is reaped and respawned once the reload is over.
        @Test("938 KB file of 95,000 keys + SIGHUP: the whole file is parsed, then a worker killed after the SIGHUP is respawned",
              .timeLimit(.minutes(1)))
        func bigFileIsParsedWithoutFreezingTheMaster() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path])
            _ = try demo.waitForEvent("all-ready")
            let before = demo.liveWorkers()
            let header = ConfigurationFixture.printer(workers: 2)
            let keys = (0..<95_000).map { "k\($0): 1\n" }.joined()
            try file.write(header + keys + "k0: 2\n")
            let lastLine = 3 + 95_000 + 1
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            try driver.signal(before[0]!, SIGKILL)
            let failure = try demo.waitForEvent("reload-failed", from: mark, timeout: .seconds(20))
            #expect(failure.message.contains("\(file.path):\(lastLine):1: k0: key 'k0' appears more than once in the same mapping (first at line 4)"),
                    "\(failure.message.prefix(500))")
            let exited = try demo.waitForEvent("worker-exited", from: mark, timeout: .seconds(20)) { $0.worker == 0 }
            let respawned = try demo.waitForEvent("worker-started", from: exited.index) { $0.worker == 0 }
            let reloading = try #require(demo.events("reloading").first { $0.index >= mark })
            #expect(reloading.index < failure.index && exited.index < respawned.index, "log:\n\(demo.tail)")
            _ = try demo.waitForEvent("worker-ready", from: respawned.index) { $0.worker == 0 }
            try demo.stopAndExpectCleanExit(timeout: .seconds(10))
            try driver.expectCleanEnd()
        }
    }
}
