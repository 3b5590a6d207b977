import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// The master SIGKILLed in each phase of its life. The driver sends the SIGKILL itself on
    /// the first output line that marks the phase (a spawn trigger: no round trip through the
    /// test process), so the master dies in the middle of that phase's work.
    @Suite
    struct MasterKill {
        @Test("master SIGKILLed during startup (first worker-started of 8): every worker gone within 1 s",
              .timeLimit(.minutes(1)))
        func killDuringStartup() throws {
            // Each "slow" worker reports ready 150 ms after it starts, so the start is still
            // under way when the first worker-started line (logged after a burst of forks) is out.
            let file = try ConfigurationFixture()
            try file.write("services:\n  slow:\n    workers: 8\n")
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["slow-ready", "--config", file.path],
                                        trigger: .init(match: "event=worker-started", signal: "SIGKILL"))
            let sent = try fixture.waitForTrigger()
            let exit = try fixture.waitForExit()
            if let allReady = fixture.events("all-ready").first {
                #expect(sent < allReady.mono ?? 0, "SIGKILL at \(sent), after all-ready: \(allReady)")
            }
            try DaemonSuite.FaultInjectionTests.expectEverythingGoneWithinOneSecond(after: exit, of: fixture, driver: driver)
            try driver.expectCleanEnd()
        }

        @Test("master SIGKILLed during a rolling restart (first worker-stopping reason=reload): every worker gone within 1 s",
              .timeLimit(.minutes(1)))
        func killDuringRoll() throws {
            let file = try ConfigurationFixture()
            try file.write("services:\n  slow:\n    workers: 3\n")
            let driver = try Driver()
            defer { driver.close() }
            // Each "slow" worker reports ready 150 ms after it starts: the roll takes ~0.5 s.
            let fixture = try driver.spawn("cotyledon-fixture", ["slow-ready", "--config", file.path],
                                           trigger: .init(match: "reason=reload", signal: "SIGKILL"))
            _ = try fixture.waitForEvent("all-ready")
            try file.write("services:\n  slow:\n    workers: 3\n    readiness_timeout: 20\n")
            try driver.signal(fixture.pid, SIGHUP)
            _ = try fixture.waitForTrigger()
            let exit = try fixture.waitForExit()
            let roll = try #require(fixture.events("roll-started").first, "log:\n\(fixture.tail)")
            #expect(fixture.events("roll-complete").isEmpty, "killed before the roll ended; log:\n\(fixture.tail)")
            #expect(fixture.events("worker-started").contains { $0.index > roll.index }, "a replacement was forked")
            try DaemonSuite.FaultInjectionTests.expectEverythingGoneWithinOneSecond(after: exit, of: fixture, driver: driver)
            try driver.expectCleanEnd()
        }

        @Test("master SIGKILLed while scaling up (first scaled of 4 SIGTTINs): every worker gone within 1 s",
              .timeLimit(.minutes(1)))
        func killDuringScaleUp() throws {
            let file = try ConfigurationFixture()
            try file.write(ConfigurationFixture.printer(workers: 2, "max_workers: 6"))
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--config", file.path],
                                        trigger: .init(match: "event=scaled", signal: "SIGKILL"))
            _ = try demo.waitForEvent("all-ready")
            for _ in 0..<4 {
                // The master may already be dead for the later ones.
                _ = try? driver.signal(demo.pid, SIGTTIN)
            }
            _ = try demo.waitForTrigger()
            let exit = try demo.waitForExit()
            try DaemonSuite.FaultInjectionTests.expectEverythingGoneWithinOneSecond(after: exit, of: demo, driver: driver)
            try driver.expectCleanEnd()
        }

        /// The workers' `terminate()` never returns: an orphaned worker must not wait for it
        /// longer than its 0.5 s grace before it kills its own group.
        @Test("master SIGKILLed during a graceful stop (event=stopping, terminate() hangs): every worker gone within 1 s",
              .timeLimit(.minutes(1)))
        func killDuringGracefulStop() throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["hanging-terminate", "--workers", "3", "--graceful-timeout", "30"],
                                           trigger: .init(match: "event=stopping", signal: "SIGKILL"))
            _ = try fixture.waitForEvents("worker-ready", count: 3)
            try driver.signal(fixture.pid, SIGTERM)
            _ = try fixture.waitForTrigger()
            let exit = try fixture.waitForExit()
            try DaemonSuite.FaultInjectionTests.expectEverythingGoneWithinOneSecond(after: exit, of: fixture, driver: driver)
            try driver.expectCleanEnd()
        }
    }
}
