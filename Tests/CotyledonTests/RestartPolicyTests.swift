import Testing
@testable import Cotyledon

@Suite struct RestartPolicyTests {
    let policy = RestartPolicy(minimumUptime: .seconds(1), earlyFailuresBeforeBackoff: 3,
                               initialDelay: .milliseconds(100), maximumDelay: .seconds(2), jitter: 0.2)

    @Test func respawnsAtOnceUntilTheThresholdIsPassed() {
        for failures in 0...3 {
            #expect(policy.delay(afterConsecutiveEarlyFailures: failures, random: 0.5) == .zero)
        }
    }

    @Test func doublesFromTheInitialDelayWithoutJitterAtTheMiddle() {
        #expect(policy.delay(afterConsecutiveEarlyFailures: 4, random: 0.5) == .milliseconds(100))
        #expect(policy.delay(afterConsecutiveEarlyFailures: 5, random: 0.5) == .milliseconds(200))
        #expect(policy.delay(afterConsecutiveEarlyFailures: 6, random: 0.5) == .milliseconds(400))
    }

    @Test func neverExceedsTheMaximumEvenWithJitterOrHugeCounts() {
        #expect(policy.delay(afterConsecutiveEarlyFailures: 10, random: 1) == .seconds(2))
        #expect(policy.delay(afterConsecutiveEarlyFailures: 1_000_000, random: 1) == .seconds(2))
    }

    @Test func jitterSpreadsWithinTheBand() {
        let low = policy.delay(afterConsecutiveEarlyFailures: 4, random: 0)
        let high = policy.delay(afterConsecutiveEarlyFailures: 4, random: 1)
        #expect(low == .milliseconds(80))
        #expect(high == .milliseconds(120))
    }

    @Test func clampsOutOfRangeSettings() {
        let odd = RestartPolicy(earlyFailuresBeforeBackoff: -4, jitter: 7)
        #expect(odd.earlyFailuresBeforeBackoff == 0)
        #expect(odd.jitter == 1)
    }
}
