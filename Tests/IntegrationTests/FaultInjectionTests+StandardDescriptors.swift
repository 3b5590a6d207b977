import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// A daemon started with standard input, output and error closed (`prog <&- >&- 2>&-`).
    @Suite
    struct ClosedStandardDescriptors {
        /// With its output closed the daemon's log is not readable: readiness is read from the
        /// notify socket, the descriptors from `/proc`, the stop from the exit status and the
        /// process table.
        @Test("started with 0, 1, 2 closed: the master has /dev/null there, its workers' output is /dev/null, READY=1, exit 0",
              .timeLimit(.minutes(1)))
        func closedStandardDescriptorsBecomeDevNull() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn(
                path: "/bin/sh",
                argv: ["sh", "-c", "exec \"$0\" \"$@\" <&- >&- 2>&-", try BuildProducts.path(of: "cotyledon-demo"),
                       "--workers", "2", "--control-socket", "none"],
                environment: ["NOTIFY_SOCKET=\(socket.path)"])
            _ = try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
            let master = try FileDescriptorTable(pid: demo.pid)
            for fd: Int32 in 0...2 {
                #expect(master.targets[fd] == "/dev/null", "the master's descriptor \(fd): \(master)")
            }
            let workers = try driver.ps().children(of: demo.pid)
            #expect(workers.count == 2, "\(workers)")
            for worker in workers {
                let table = try FileDescriptorTable(pid: worker.pid)
                #expect(table.targets[1] == "/dev/null" && table.targets[2] == "/dev/null",
                        "worker \(worker.pid)'s output is /dev/null, not a descriptor of the master: \(table)")
            }
            let reapedBefore = Set(driver.reapedPids)
            try driver.signal(demo.pid, SIGTERM)
            #expect(try demo.waitForExit(timeout: .seconds(15)).status == .exited(0))
            try driver.waitForNoDescendants()
            #expect(driver.reapedPids.filter { !reapedBefore.contains($0) } == [demo.pid],
                    "the master reaped its workers itself")
            try driver.expectCleanEnd()
        }
    }
}
