import Testing
@testable import Cotyledon

@Suite struct SchedulingDeadlineTests {
    let monotonicNow = MonotonicInstant(nanoseconds: 5_000_000_000)

    /// A clock that stands still at `now`, measured in `Swift.Duration`.
    struct StoppedClock: Clock {
        struct Instant: InstantProtocol {
            var offset: Duration
            func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
            func duration(to other: Instant) -> Duration { other.offset - offset }
            static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        }

        var now: Instant
        var minimumResolution: Duration { .nanoseconds(1) }
        func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
    }

    @Test("an instant lands as far from the monotonic now as it is from its clock's now")
    func convertsRelativeToTheClocksNow() {
        let clock = StoppedClock(now: .init(offset: .seconds(1_000)))
        #expect(SchedulingDeadline.monotonic(for: clock.now.advanced(by: .milliseconds(1_500)), on: clock, now: monotonicNow)
                == MonotonicInstant(nanoseconds: 6_500_000_000))
        #expect(SchedulingDeadline.monotonic(for: clock.now.advanced(by: .seconds(-2)), on: clock, now: monotonicNow)
                == MonotonicInstant(nanoseconds: 3_000_000_000))
        #expect(SchedulingDeadline.monotonic(after: .microseconds(7), on: clock, now: monotonicNow)
                == MonotonicInstant(nanoseconds: 5_000_007_000))
    }

    @Test("instants of the continuous and suspending clocks too far away saturate; past ones are due")
    func saturatesAndKeepsThePastDue() {
        let continuous = ContinuousClock()
        let suspending = SuspendingClock()
        #expect(SchedulingDeadline.monotonic(for: continuous.now + .seconds(Int64.max), on: continuous, now: monotonicNow)
                == MonotonicInstant(nanoseconds: .max))
        #expect(SchedulingDeadline.monotonic(for: suspending.now + .seconds(Int64.max), on: suspending, now: monotonicNow)
                == MonotonicInstant(nanoseconds: .max))
        #expect(SchedulingDeadline.monotonic(after: .seconds(Int64.max), on: continuous, now: monotonicNow)
                == MonotonicInstant(nanoseconds: .max))
        // An instant already past, however far, is due at once: at or before now, no trap.
        #expect(SchedulingDeadline.monotonic(for: continuous.now - .seconds(Int64.max / 2), on: continuous, now: monotonicNow)
                <= monotonicNow)
        #expect(SchedulingDeadline.monotonic(for: suspending.now, on: suspending, now: monotonicNow) <= monotonicNow)
        #expect(SchedulingDeadline.monotonic(after: .seconds(-Int64.max), on: suspending,
                                             now: MonotonicInstant(nanoseconds: -1)) == MonotonicInstant(nanoseconds: .min))
    }
}
