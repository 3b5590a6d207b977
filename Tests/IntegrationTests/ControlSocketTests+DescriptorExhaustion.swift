import Foundation
import Glibc
import Testing

extension DaemonSuite {
    /// The control socket when the master runs out of file descriptors.
    @Suite
    struct ControlSocketDescriptorExhaustionTests {
        @Test("EMFILE: connections beyond the descriptor limit are dropped without spinning; supervision goes on",
              .timeLimit(.minutes(1)))
        func acceptSurvivesDescriptorExhaustion() throws {
            let socket = try ControlSocketFixture()
            let driver = try Driver()
            defer { driver.close() }
            // A hard limit of 40 descriptors: about 30 are free once 2 workers run.
            let demo = try driver.spawn(path: "/usr/bin/prlimit",
                                        argv: ["prlimit", "--nofile=40:40", BuildProducts.path(of: "cotyledon-demo"),
                                               "--workers", "2"] + socket.daemonArguments)
            _ = try demo.waitForEvent("control-listening")
            let ready = try demo.waitForEvents("worker-ready", count: 2)
            var clients: [UnixStreamClient] = []
            for _ in 0..<80 {
                clients.append(try UnixStreamClient(path: socket.path))
            }
            // The master must have hit EMFILE and shed connections instead of looping on them.
            _ = try demo.waitForEvent("control-emfile", timeout: .seconds(10))
            let before = try ProcStatus.cpuTicks(of: demo.pid)
            let outcomes = try UnixStreamClient.readAll(clients, timeout: .seconds(1))
            let after = try ProcStatus.cpuTicks(of: demo.pid)
            #expect(after - before < 20, "the master used \(after - before) ticks in 1 s while connections waited: spinning")
            #expect(outcomes.contains(.closed), "some connections were dropped: \(outcomes)")
            // Once the clients are gone, a served connection and a respawn still work.
            clients.forEach { $0.close() }
            let client = try UnixStreamClient(path: socket.path)
            let status = try client.exchange(#"{"v":1,"command":"status"}"#)
            #expect(status["ok"] as? Bool == true, "\(status)")
            client.close()
            let mark = demo.cursor
            try driver.signal(try #require(ready.first?.subjectPid), SIGKILL)
            _ = try demo.waitForEvent("worker-ready", from: mark)
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
