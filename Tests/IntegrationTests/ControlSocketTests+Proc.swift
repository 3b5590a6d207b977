import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ControlSocketTests {
    /// `status` against `/proc` reality while the pool is resized by signals.
    @Suite
    struct ProcReality {
        @Test("after each step of a TTIN/TTOU sequence, status lists exactly the master's children, ids and pids as in /proc",
              .timeLimit(.minutes(1)))
        func statusMatchesProcAfterResizes() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2, "min_workers: 1", "max_workers: 5"))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            var count = 2
            let steps = [SIGTTIN, SIGTTIN, SIGTTOU, SIGTTIN, SIGTTIN, SIGTTOU, SIGTTOU, SIGTTOU, SIGTTOU, SIGTTIN]
            for signal in steps {
                let mark = demo.cursor
                try driver.signal(demo.pid, signal)
                let scaled = try demo.waitForEvent("scaled", from: mark)
                count += signal == SIGTTIN ? 1 : -1
                #expect(scaled.fields["workers"] == "\(count)", "\(scaled)")
                if signal == SIGTTIN {
                    _ = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == count - 1 }
                } else {
                    _ = try demo.waitForEvent("worker-exited", from: mark) { $0.worker == count && $0.fields["reason"] == "scaled-down" }
                }
                let status = try driver.control(socket: socket.path, ["--json", "status"])
                try DaemonSuite.ControlSocketTests.expectStatus(status, matches: demo, driver: driver, count: count)
                #expect(status.workerPids(of: "printer") == demo.liveWorkers(),
                        "status vs the event stream after \(signal == SIGTTIN ? "TTIN" : "TTOU") to \(count)")
            }
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
