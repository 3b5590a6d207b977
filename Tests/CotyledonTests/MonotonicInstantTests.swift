import Testing
@testable import Cotyledon

@Suite struct MonotonicInstantTests {
    let now = MonotonicInstant(nanoseconds: 5_000_000_000)

    @Test func addingAHugeDurationSaturatesAtTheFarthestInstant() {
        // WATCHDOG_USEC=20000000000000000 is 2e19 ns, beyond Int64: it trapped here.
        #expect(now + .microseconds(20_000_000_000_000_000) == MonotonicInstant(nanoseconds: .max))
        #expect(now + .seconds(Int64.max) == MonotonicInstant(nanoseconds: .max))
        #expect(MonotonicInstant(nanoseconds: .max) + .nanoseconds(1) == MonotonicInstant(nanoseconds: .max))
        #expect(MonotonicInstant(nanoseconds: -1) + .seconds(-Int64.max) == MonotonicInstant(nanoseconds: .min))
        #expect(now + .milliseconds(1) == MonotonicInstant(nanoseconds: 5_001_000_000))
    }

    @Test func subtractingSaturates() {
        let far = MonotonicInstant(nanoseconds: .max)
        let past = MonotonicInstant(nanoseconds: .min)
        #expect(far - past == .nanoseconds(Int64.max))
        #expect(past - far == .nanoseconds(Int64.min))
        #expect(now - MonotonicInstant(nanoseconds: 4_000_000_000) == .seconds(1))
    }

    @Test func pollTimeoutRoundsUpAndClampsToInt32() {
        #expect(MonotonicInstant(nanoseconds: .max).pollTimeout(from: now) == Int32.max)
        #expect((now + .seconds(86_400 * 30)).pollTimeout(from: now) == Int32.max)
        #expect((now + .nanoseconds(1)).pollTimeout(from: now) == 1)
        #expect((now + .milliseconds(250)).pollTimeout(from: now) == 250)
        #expect(now.pollTimeout(from: now) == 0)
        #expect(MonotonicInstant(nanoseconds: .min).pollTimeout(from: now) == 0)
        #expect(now.pollTimeout(from: MonotonicInstant(nanoseconds: .min)) == Int32.max)
    }

    @Test func durationNanosecondsSaturate() {
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
        #expect(Duration.seconds(-Int64.max).nanoseconds == .min)
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
    }

    @Test func durationFromComputedSecondsSaturates() {
        #expect(Duration.saturating(seconds: 1e300) == .nanoseconds(Int64.max))
        #expect(Duration.saturating(seconds: .infinity) == .nanoseconds(Int64.max))
        #expect(Duration.saturating(seconds: -.infinity) == .nanoseconds(Int64.min))
        #expect(Duration.saturating(seconds: .nan) == .zero)
        #expect(Duration.saturating(seconds: 0.25) == .milliseconds(250))
    }

    @Test func aRestartDelayFromAHugeMaximumDoesNotTrap() {
        let policy = RestartPolicy(earlyFailuresBeforeBackoff: 0, initialDelay: .seconds(Int64.max),
                                   maximumDelay: .seconds(Int64.max))
        #expect(policy.delay(afterConsecutiveEarlyFailures: 100, random: 1) == .nanoseconds(Int64.max))
    }
}
