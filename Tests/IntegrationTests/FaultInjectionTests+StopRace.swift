import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// A stop that breaks `run()` before `terminate()` runs.
    @Suite
    struct StopRace {
        @Test("run() failing because the stop's group SIGTERM killed its child counts as stopping: exit 0, no run-failed",
              .timeLimit(.minutes(1)))
        func runFailingDuringAStopIsNotACrash() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["child-dies-on-stop", "--workers", "4"])
            _ = try fixture.waitForEvents("worker-ready", count: 4)
            for id in 0..<4 {
                _ = try fixture.waitForLine("worker \(id)'s child") {
                    $0.stream == "stdout" && $0.text.hasPrefix("child pid=") && $0.text.hasSuffix("worker=\(id)")
                }
            }
            let mark = fixture.cursor
            try fixture.stopAndExpectCleanExit(with: SIGTERM, timeout: .seconds(15))
            let exits = fixture.events("worker-exited").filter { $0.index >= mark }
            #expect(exits.count == 4 && exits.allSatisfy { $0.fields["status"] == "exited:0" }, "\(exits)")
            #expect(fixture.events("run-failed").isEmpty, "log:\n\(fixture.tail)")
            try driver.expectCleanEnd()
        }
    }
}
