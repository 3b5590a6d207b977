import Testing
@testable import Cotyledon

@Suite struct WatchdogPingIntervalTests {
    @Test func halfTheTimeoutWithinTheRange() {
        for (microseconds, interval) in [(400_000, Duration.milliseconds(200)), (200_000, .milliseconds(100)),
                                         (30_000_000, .seconds(15)), (86_400_000_000, .seconds(43_200))] {
            let ping = WatchdogPingInterval(watchdogMicroseconds: UInt64(microseconds))
            #expect(ping.interval == interval)
            #expect(!ping.isClamped)
            #expect(ping.clampReason == nil)
        }
    }

    @Test func aTinyTimeoutIsClampedToTheFloorWithAWarning() throws {
        // WATCHDOG_USEC=1 made the master ping 13,000 times a second.
        for microseconds: UInt64 in [1, 199_999] {
            let ping = WatchdogPingInterval(watchdogMicroseconds: microseconds)
            #expect(ping.interval == WatchdogPingInterval.shortest)
            #expect(ping.isClamped)
            let reason = try #require(ping.clampReason)
            #expect(reason.contains("WATCHDOG_USEC=\(microseconds)") && reason.contains("at least 0.2 s"), "\(reason)")
        }
        #expect(try #require(WatchdogPingInterval(watchdogMicroseconds: 1).clampReason).contains("will stop the daemon"))
        #expect(try #require(WatchdogPingInterval(watchdogMicroseconds: 150_000).clampReason).contains("will stop") == false)
    }

    @Test func aHugeTimeoutIsClampedToTheCeilingWithAWarning() throws {
        for microseconds: UInt64 in [86_400_000_001, 20_000_000_000_000_000, UInt64.max - 1] {
            let ping = WatchdogPingInterval(watchdogMicroseconds: microseconds)
            #expect(ping.interval == WatchdogPingInterval.longest)
            let reason = try #require(ping.clampReason)
            #expect(reason.contains("WATCHDOG_USEC=\(microseconds)"), "\(reason)")
            // The next ping is representable: no overflow in the master's deadline.
            #expect(MonotonicInstant.now + ping.interval > .now)
        }
    }
}
