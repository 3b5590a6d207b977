/// Turns the instants and delays a task schedules (`Task.sleep`, through the executors'
/// `enqueue(_:at:tolerance:clock:)`) into deadlines on `CLOCK_MONOTONIC`, the clock of the
/// worker's event loop.
///
/// An instant is taken relative to its clock's `now`: its distance from it is added to the
/// monotonic `now`, saturating (an instant too far away to represent is the farthest
/// deadline there is; one in the past is due at once). `ContinuousClock` (`CLOCK_BOOTTIME`
/// on Linux) and `SuspendingClock` (`CLOCK_MONOTONIC`) tick at the same rate as long as the
/// machine is not suspended, and a server is not. Any other clock whose `Duration` is
/// `Swift.Duration` is taken to tick at that rate as well; a clock with another `Duration`
/// cannot be placed on the loop's clock and stops the worker with a message saying so
/// (`Task.sleep` and the standard clocks never schedule one). A tolerance is not used: the
/// loop's timerfd fires at the deadline itself.
enum SchedulingDeadline {
    /// The monotonic deadline of `instant` on `clock`.
    static func monotonic<C: Clock>(for instant: C.Instant, on clock: C, now: MonotonicInstant = .now) -> MonotonicInstant {
        monotonic(after: clock.now.duration(to: instant), on: clock, now: now)
    }

    /// The monotonic deadline `delay` of `clock` after `now`.
    static func monotonic<C: Clock>(after delay: C.Duration, on clock: C, now: MonotonicInstant = .now) -> MonotonicInstant {
        guard let delay = delay as? Duration else {
            fatalError("a task scheduled a job on \(C.self), whose Duration (\(C.Duration.self)) is not Swift.Duration: a Cotyledon worker's event loop schedules jobs on clocks measured in Swift.Duration only")
        }
        return now + delay
    }
}
