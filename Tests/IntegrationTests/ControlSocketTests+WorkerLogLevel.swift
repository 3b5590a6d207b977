import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ControlSocketTests {
    @Test("log-level reaches workers that were already running: their info lines hide at warning and show again at info",
          .timeLimit(.minutes(1)))
    func logLevelReachesRunningWorkers() throws {
        let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
        defer { controlled.driver.close() }
        let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
        let workers = demo.liveWorkers()
        let first = try #require(workers[0]), second = try #require(workers[1])

        // At warning, a worker forked before the change stops without its (info) terminating line.
        #expect(try driver.control(socket: socket.path, ["log-level", "warning"]).status == .exited(0))
        var mark = demo.cursor
        try driver.signal(first, SIGTERM)
        _ = try demo.waitForEvent("worker-exited", from: mark) { $0.subjectPid == first }
        #expect(!demo.events("worker-terminate").contains { $0.index >= mark && $0.pid == first },
                "worker \(first) logged at info after log-level warning; log:\n\(demo.tail)")

        // Back at info, the other worker, also forked before both changes, logs it again.
        #expect(try driver.control(socket: socket.path, ["log-level", "info"]).status == .exited(0))
        mark = demo.cursor
        try driver.signal(second, SIGTERM)
        _ = try demo.waitForEvent("worker-exited", from: mark) { $0.subjectPid == second }
        #expect(demo.events("worker-terminate").contains { $0.index >= mark && $0.pid == second },
                "worker \(second) did not log its terminating line at info; log:\n\(demo.tail)")

        try demo.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }
}
