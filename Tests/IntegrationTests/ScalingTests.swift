import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// SIGTTIN / SIGTTOU to the master: one worker more / fewer.
    @Suite
    struct ScalingTests {
        @Test("TTIN ×3 then TTOU ×2: 2→3→4→5→4→3, ids stay dense, no respawn of removed ids", .timeLimit(.minutes(1)))
        func scaleUpAndDown() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo")
            _ = try demo.waitForEvents("worker-ready", count: 2)
            #expect(try driver.ps().workerIDs(of: demo.pid, service: "printer") == [0, 1])

            for expected in [3, 4, 5] {
                let mark = demo.cursor
                try driver.signal(demo.pid, SIGTTIN)
                let scaled = try demo.waitForEvent("scaled", from: mark)
                #expect(scaled.fields["service"] == "printer")
                #expect(scaled.fields["workers"] == "\(expected)")
                let newID = expected - 1
                let started = try demo.waitForEvent("worker-started", from: mark) { $0.worker == newID }
                #expect(started.fields["respawn"] == "false")
                _ = try demo.waitForEvent("worker-ready", from: started.index + 1) { $0.worker == newID }
                let ids = try driver.ps().workerIDs(of: demo.pid, service: "printer")
                #expect(ids == Array(0..<expected), "after TTIN to \(expected)")
            }

            var removed: [(id: Int, exitIndex: Int)] = []
            for expected in [4, 3] {
                let mark = demo.cursor
                try driver.signal(demo.pid, SIGTTOU)
                let scaled = try demo.waitForEvent("scaled", from: mark)
                #expect(scaled.fields["workers"] == "\(expected)")
                let exited = try demo.waitForEvent("worker-exited", from: mark) { $0.fields["reason"] == "scaled-down" }
                #expect(exited.worker == expected, "the highest id stops")
                #expect(exited.fields["status"] == "exited:0", "stopped gracefully: \(exited)")
                removed.append((expected, exited.index))
                let ids = try driver.ps().workerIDs(of: demo.pid, service: "printer")
                #expect(ids == Array(0..<expected), "after TTOU to \(expected)")
            }

            try demo.stopAndExpectCleanExit()
            for (id, exitIndex) in removed {
                let restarts = demo.events("worker-started").filter { $0.worker == id && $0.index > exitIndex }
                #expect(restarts.isEmpty, "worker \(id) was respawned after scale-down: \(restarts)")
            }
            try driver.expectCleanEnd()
        }
    }
}
