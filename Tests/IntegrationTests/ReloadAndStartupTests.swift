import Glibc
import Testing

extension DaemonSuite {
    /// The default `reload()` and the startup deadline.
    @Suite
    struct ReloadAndStartupTests {
        @Test("default reload: each worker finishes and is respawned at once with its id", .timeLimit(.minutes(1)))
        func defaultReloadRespawnsEveryWorker() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["default-reload", "--workers", "3"])
            let ready = try fixture.waitForEvents("worker-ready", count: 3)
            let before = Dictionary(uniqueKeysWithValues: ready.map { ($0.worker!, $0.subjectPid!) })
            let mark = fixture.cursor
            try driver.signal(fixture.pid, SIGHUP)
            let exits = try fixture.waitForEvents("worker-exited", count: 3, from: mark)
            #expect(exits.allSatisfy { $0.fields["reason"] == "reload" && $0.fields["status"] == "exited:0" },
                    "reload exits are classified as such: \(exits)")
            let respawned = try fixture.waitForEvents("worker-ready", count: 3, from: mark)
            let after = Dictionary(uniqueKeysWithValues: respawned.map { ($0.worker!, $0.subjectPid!) })
            #expect(Set(after.keys) == [0, 1, 2])
            #expect(after.allSatisfy { before[$0.key] != $0.value }, "new pids: \(before) → \(after)")
            #expect(fixture.events("respawn-delayed").isEmpty, "reload exits never count toward backoff")
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("startup timeout: STATUS says why, clean stop, exit 69", .timeLimit(.minutes(1)))
        func startupTimeoutStopsCleanly() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["never-ready", "--workers", "2", "--startup-timeout", "0.5"],
                                           environment: ["NOTIFY_SOCKET=\(socket.path)"])
            let status = try socket.waitFor("STATUS=startup failed") { $0.fields["STATUS"]?.hasPrefix("startup failed") == true }
            #expect(status.fields["STATUS"] == "startup failed: laggard 0/2 ready when the startup timeout expired")
            let exit = try fixture.waitForExit()
            #expect(exit.status == .exited(69), "log:\n\(fixture.tail)")
            #expect(!socket.received.contains { $0.fields["READY"] != nil }, "never READY=1: \(socket.received)")
            _ = try #require(fixture.events("startup-timeout").first)
            let exits = fixture.events("worker-exited")
            #expect(exits.count == 2 && exits.allSatisfy { $0.fields["reason"] == "stopped" }, "\(exits)")
            try driver.expectCleanEnd()
        }
    }
}
