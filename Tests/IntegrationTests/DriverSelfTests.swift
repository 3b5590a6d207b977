import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// The test driver's own guarantees, which every other test relies on; these also show
    /// that the "nothing left" check can fail.
    @Suite
    struct DriverSelfTests {
        @Test("an orphan is re-parented to the driver and reaped by it, after its output", .timeLimit(.minutes(1)))
        func reapsOrphans() throws {
            let driver = try Driver()
            defer { driver.close() }
            // The backgrounded subshell outlives its parent and is re-parented to the subreaper.
            let shell = try driver.spawn(
                path: "/bin/sh",
                argv: ["sh", "-c", "echo out; echo err >&2; sh -c 'sleep 0.3; echo orphan-pid=$$' & exit 3"]
            )
            let exit = try shell.waitForExit()
            #expect(exit.status == .exited(3))
            #expect(shell.text(of: "stdout").hasPrefix("out"))
            #expect(shell.text(of: "stderr") == "err")
            let line = try shell.waitForLine("the orphan's line") { $0.text.hasPrefix("orphan-pid=") }
            let orphan = try #require(Int32(line.text.dropFirst("orphan-pid=".count)))
            let reaped = try driver.waitForReap(of: orphan)
            #expect(reaped.status == .exited(0))
            #expect(reaped.time >= line.time, "the orphan's output comes before its exit")
            try driver.expectCleanEnd()
        }

        @Test("the final check reports a process left behind, and closing the driver kills it", .timeLimit(.minutes(1)))
        func detectsLeftovers() throws {
            let driver = try Driver()
            let sleeper = try driver.spawn(path: "/bin/sleep", argv: ["sleep", "30"])
            let left = try driver.ps()
            #expect(left.map(\.pid) == [sleeper.pid])
            #expect(left.first?.comm == "sleep")
            #expect(left.first?.cmdline == "sleep 30")
            #expect(left.first?.pgid == sleeper.pid, "spawned into a process group of its own")
            #expect(throws: DriverError.self) { try driver.waitForNoDescendants(timeout: .milliseconds(100)) }
            driver.close()
            #expect(try driver.waitForReap(of: sleeper.pid).status == .killed("SIGKILL"))
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(driver.driverPid)"), "the driver is gone")
        }

        @Test("the crash check reports a process killed by SIGSEGV", .timeLimit(.minutes(1)))
        func detectsCrashes() throws {
            let driver = try Driver()
            defer { driver.close() }
            let shell = try driver.spawn(path: "/bin/sh", argv: ["sh", "-c", "kill -SEGV $$"])
            #expect(try shell.waitForExit().status == .killed("SIGSEGV"))
            #expect(throws: DriverError.self) { try driver.expectNoCrash() }
            try driver.waitForNoDescendants()
        }

        @Test("the driver refuses to signal a process that is not its descendant", .timeLimit(.minutes(1)))
        func refusesForeignSignals() throws {
            let driver = try Driver()
            defer { driver.close() }
            #expect(throws: DriverError.self) { try driver.signal(getpid(), SIGCONT) }
            #expect(throws: DriverError.self) { try driver.signal(1, SIGCONT) }
            try driver.expectCleanEnd()
        }
    }
}
