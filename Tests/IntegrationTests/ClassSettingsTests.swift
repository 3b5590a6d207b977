import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// A service added with a closure that builds it keeps the settings of its class.
    @Suite
    struct ClassSettingsTests {
        @Test("add(Type.self) { … }: the closure builds the worker, the class's reload mode and graceful timeout apply",
              .timeLimit(.minutes(1)))
        func closureFormKeepsClassSettings() throws {
            let driver = try Driver()
            defer { driver.close() }
            // The manager's graceful timeout stays at the fixture's 60 s: only the class says 1 s.
            let fixture = try driver.spawn("cotyledon-fixture", ["class-settings", "--workers", "1"])
            let ready = try fixture.waitForEvents("worker-ready", count: 1)
            let pid = try #require(ready.first?.subjectPid)
            _ = try fixture.waitForLine("the closure built the worker with its argument") {
                $0.stream == "stdout" && $0.text == "classy worker=0 greeting=hello"
            }
            let mark = fixture.cursor
            try driver.signal(fixture.pid, SIGHUP)
            _ = try fixture.waitForLine("reload() ran in the worker, in place") {
                $0.stream == "stdout" && $0.text == "classy-reload worker=0"
            }
            _ = try fixture.waitForEvents("reload-complete", count: 1, from: mark)
            #expect(fixture.events("worker-started").filter { $0.index >= mark }.isEmpty,
                    "reloaded in place, no worker replaced; log:\n\(fixture.tail)")
            let stopMark = fixture.cursor
            _ = try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(10))
            let timeouts = fixture.events("stop-timeout").filter { $0.index >= stopMark }
            #expect(timeouts.map(\.subjectPid) == [pid], "the class's 1 s timeout killed the worker; log:\n\(fixture.tail)")
            try driver.expectCleanEnd()
        }
    }
}
