/// When a dead worker is respawned.
///
/// A worker that dies is respawned at once. Only a worker that keeps dying soon after it
/// started (``earlyFailuresBeforeBackoff`` times in a row, each within ``minimumUptime``)
/// waits before its next start: ``initialDelay``, doubling each further early failure up
/// to ``maximumDelay``, with ±``jitter`` so a crashing pool does not restart in lockstep.
/// A worker that stays up for ``minimumUptime`` resets its count. The delay belongs to
/// that worker alone: the rest of the pool and the master never wait for it.
/// Stops requested by the master (shutdown, scale-down, reload) never count.
///
/// By default the master never gives up on workers that had become ready: however often
/// they die, they are respawned, each with its own backoff. It gives up — stops every
/// service gracefully and exits 76 — only when a service's workers fail before reporting
/// ready ``maximumBootFailures`` times in a row (a boot failure, as gunicorn halts on).
/// The restart-intensity give-up (as in OTP supervisors) is opt-in: with
/// ``maximumRestarts`` above 0, more than that many unrequested worker exits of a service
/// within ``restartWindow`` make the master exit 75. Either check is off at 0.
public struct RestartPolicy: Sendable, Equatable {
    /// A worker that dies before this uptime failed early.
    public var minimumUptime: Duration
    /// Consecutive early failures that are still respawned at once.
    public var earlyFailuresBeforeBackoff: Int
    /// The first delay once backoff starts.
    public var initialDelay: Duration
    /// The longest delay.
    public var maximumDelay: Duration
    /// Relative random spread of each delay, in `0...1`.
    public var jitter: Double
    /// Unrequested exits of a service tolerated within ``restartWindow``; 0 (the
    /// default): no limit.
    public var maximumRestarts: Int
    /// The window of ``maximumRestarts``.
    public var restartWindow: Duration
    /// Failures before ready in a row that make the master give up; 0: no limit.
    /// Not counted when ``minimumUptime`` is 0.
    public var maximumBootFailures: Int

    /// Creates a policy; the defaults are 1 s uptime, 3 failures, 100 ms doubling to 30 s,
    /// ±20 %, no restart-intensity limit (a 60 s window once one is set), give-up after 5
    /// boot failures in a row.
    ///
    /// - Parameters:
    ///   - minimumUptime: a worker that dies before this uptime failed early.
    ///   - earlyFailuresBeforeBackoff: early failures in a row still respawned at once;
    ///     a negative value counts as 0.
    ///   - initialDelay: the first delay once backoff starts.
    ///   - maximumDelay: the longest delay.
    ///   - jitter: the relative random spread of each delay, clamped to `0...1`.
    ///   - maximumRestarts: unrequested exits of a service tolerated within
    ///     `restartWindow` before the master gives up; 0 (or less, the default): no limit.
    ///   - restartWindow: the window of `maximumRestarts`.
    ///   - maximumBootFailures: failures before ready in a row that make the master give
    ///     up; 0 (or less): no limit.
    public init(
        minimumUptime: Duration = .seconds(1),
        earlyFailuresBeforeBackoff: Int = 3,
        initialDelay: Duration = .milliseconds(100),
        maximumDelay: Duration = .seconds(30),
        jitter: Double = 0.2,
        maximumRestarts: Int = 0,
        restartWindow: Duration = .seconds(60),
        maximumBootFailures: Int = 5
    ) {
        self.maximumRestarts = max(0, maximumRestarts)
        self.restartWindow = restartWindow
        self.maximumBootFailures = max(0, maximumBootFailures)
        self.minimumUptime = minimumUptime
        self.earlyFailuresBeforeBackoff = max(0, earlyFailuresBeforeBackoff)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The policy with every default.
    public static let `default` = RestartPolicy()

    /// The wait before the next start of a worker that has failed early
    /// `consecutiveEarlyFailures` times in a row.
    ///
    /// - Parameters:
    ///   - consecutiveEarlyFailures: how many times in a row the worker died before
    ///     ``minimumUptime``, this time included.
    ///   - random: a value in `0...1` that places the delay inside the jitter band.
    /// - Returns: zero while the failures are at most ``earlyFailuresBeforeBackoff``,
    ///   then ``initialDelay`` doubled for each further failure, spread by ``jitter`` and
    ///   capped at ``maximumDelay``.
    public func delay(afterConsecutiveEarlyFailures consecutiveEarlyFailures: Int, random: Double) -> Duration {
        let excess = consecutiveEarlyFailures - earlyFailuresBeforeBackoff
        guard excess > 0 else { return .zero }
        let doublings = min(excess - 1, 62)
        let base = min(initialDelay.secondsValue * Double(1 << doublings), maximumDelay.secondsValue)
        let spread = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
        return .saturating(seconds: min(base * spread, maximumDelay.secondsValue))
    }
}
