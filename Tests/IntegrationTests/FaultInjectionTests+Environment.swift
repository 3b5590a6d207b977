import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// systemd's variables set to garbage: warnings, never a failure.
    @Suite
    struct MalformedEnvironment {
        @Test("garbage NOTIFY_SOCKET, LISTEN_FDS, LISTEN_PID, WATCHDOG_USEC: all workers start, listen-fds-ignored, watchdog-ignored, notify-failed at most once, exit 0",
              .timeLimit(.minutes(1)))
        func garbageSystemdVariablesAreWarnedAbout() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"], environment: [
                "NOTIFY_SOCKET=garbage-not-a-path", "LISTEN_FDS=abc", "LISTEN_PID=xyz", "WATCHDOG_USEC=soon",
            ])
            let ready = try demo.waitForEvents("worker-ready", count: 3)
            #expect(Set(ready.compactMap(\.worker)) == [0, 1, 2])
            _ = try demo.waitForEvent("all-ready")
            let listen = try demo.waitForEvent("listen-fds-ignored")
            let watchdog = try demo.waitForEvent("watchdog-ignored")
            for warning in [listen, watchdog] {
                #expect(warning.pid == demo.pid, "logged by the master: \(warning)")
                #expect(["warning", "notice", "error"].contains(warning.level), "a warning: \(warning)")
            }
            #expect(watchdog.message.contains("soon") || watchdog.fields.values.contains("soon"),
                    "the warning shows the bad value: \(watchdog)")
            // Reloads notify systemd again (RELOADING=1, READY=1): still one notify-failed.
            for _ in 0..<2 {
                let mark = demo.cursor
                try driver.signal(demo.pid, SIGHUP)
                _ = try demo.waitForEvent("reload-complete", from: mark)
            }
            try demo.stopAndExpectCleanExit()
            #expect(demo.events("notify-failed").count <= 1, "notify-failed at most once; log:\n\(demo.tail)")
            #expect(demo.events("listen-fds-ignored").count == 1 && demo.events("watchdog-ignored").count == 1,
                    "each warning once; log:\n\(demo.tail)")
            #expect(demo.events("worker-exited").allSatisfy { $0.fields["status"] == "exited:0" })
            try driver.expectCleanEnd()
        }
    }
}
