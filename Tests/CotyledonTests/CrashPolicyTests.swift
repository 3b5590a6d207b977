import Testing
@testable import Cotyledon

/// Feeds worker exits of one service to a ``CrashPolicy``, at instants the test chooses.
private struct Pool {
    /// The policy of the service.
    let policy: RestartPolicy
    /// The bookkeeping under test.
    var crashes = CrashPolicy()
    /// The jitter's source.
    var random = SplitMix64(state: 14)
    /// Each slot's early failures in a row, kept as the master keeps them in its slot records.
    var earlyFailures: [Int: Int] = [:]
    /// The service every exit belongs to.
    static let service = ServiceID(rawValue: 1)

    /// The decision after worker `workerID` exits at `second` for `reason`, having run `uptime`.
    mutating func exit(_ reason: WorkerExitReason, workerID: Int = 0, uptime: Duration = .milliseconds(10),
                       at second: Double = 100, refilled: Bool = true) -> CrashPolicy.Decision {
        let exit = CrashPolicy.Exit(
            slot: WorkerSlot(service: Self.service, workerID: workerID), serviceName: "printer", reason: reason,
            uptime: uptime, slotIsToBeRefilled: refilled, earlyFailuresBefore: earlyFailures[workerID, default: 0],
            at: MonotonicInstant(nanoseconds: Int64(second * 1e9)))
        let decision = crashes.decide(after: exit, under: policy, using: &random)
        switch decision {
        case .respawnNow, .respawn: earlyFailures[workerID] = exit.earlyFailures(under: policy)
        case .noRestart, .giveUp: break
        }
        return decision
    }

    /// The delay of a delayed respawn, or zero for one at once.
    static func delay(of decision: CrashPolicy.Decision) -> Duration? {
        switch decision {
        case .respawnNow: .zero
        case .respawn(_, let delay, _): delay
        case .noRestart, .giveUp: nil
        }
    }
}

@Suite struct CrashPolicyTests {
    /// Backoff only: neither give-up check.
    static let backoff = RestartPolicy(minimumUptime: .seconds(1), earlyFailuresBeforeBackoff: 2,
                                       initialDelay: .milliseconds(100), maximumDelay: .milliseconds(350),
                                       jitter: 0, maximumRestarts: 0, maximumBootFailures: 0)

    @Test func backoffStartsAfterTheEarlyFailuresAndDoublesToTheMaximum() {
        var pool = Pool(policy: Self.backoff)
        let delays = (0..<6).map { _ in Pool.delay(of: pool.exit(.crash)) }
        #expect(delays == [.zero, .zero, .milliseconds(100), .milliseconds(200), .milliseconds(350), .milliseconds(350)])
    }

    @Test func aDelayedRespawnIsDueTheDelayAfterTheExitAndCountsTheFailures() {
        var pool = Pool(policy: Self.backoff)
        _ = pool.exit(.crash, at: 10)
        _ = pool.exit(.crash, at: 11)
        #expect(pool.exit(.crash, at: 12) == .respawn(at: MonotonicInstant(nanoseconds: 12_100_000_000),
                                                      delay: .milliseconds(100), earlyFailures: 3))
    }

    @Test func jitterKeepsEachDelayWithinItsBand() {
        var policy = Self.backoff
        policy.jitter = 0.2
        policy.maximumDelay = .seconds(30)
        var pool = Pool(policy: policy)
        _ = pool.exit(.crash)
        _ = pool.exit(.crash)
        var delays: Set<Duration> = []
        for attempt in 0..<40 {
            let base = min(0.1 * Double(1 << attempt), 30)
            let delay = Pool.delay(of: pool.exit(.crash))?.secondsValue ?? 0
            #expect(delay >= base * 0.8 - 1e-9 && delay <= min(base * 1.2, 30) + 1e-9)
            delays.insert(.saturating(seconds: delay))
        }
        #expect(delays.count > 10)
    }

    @Test func aWorkerUpForTheMinimumUptimeResetsItsBackoff() {
        var pool = Pool(policy: Self.backoff)
        for _ in 0..<4 { _ = pool.exit(.crash) }
        #expect(Pool.delay(of: pool.exit(.crash, uptime: .seconds(1))) == .zero)
        #expect(Pool.delay(of: pool.exit(.crash)) == .zero)
        #expect(Pool.delay(of: pool.exit(.crash)) == .zero)
        #expect(Pool.delay(of: pool.exit(.crash)) == .milliseconds(100))
    }

    @Test func backoffFollowsTheSlotsEarlyFailures() {
        var pool = Pool(policy: Self.backoff)
        for _ in 0..<3 { _ = pool.exit(.crash, workerID: 0) }
        #expect(Pool.delay(of: pool.exit(.crash, workerID: 1)) == .zero)
        #expect(Pool.delay(of: pool.exit(.crash, workerID: 0)) == .milliseconds(200))
        pool.earlyFailures[0] = 0
        #expect(Pool.delay(of: pool.exit(.crash, workerID: 0)) == .zero)
    }

    @Test(arguments: [WorkerExitReason.stopped, .reload, .scaledDown])
    func requestedExitsNeverCount(_ reason: WorkerExitReason) {
        var policy = Self.backoff
        policy.maximumRestarts = 1
        policy.maximumBootFailures = 1
        var pool = Pool(policy: policy)
        for _ in 0..<10 { #expect(pool.exit(reason) == .noRestart) }
        #expect(pool.exit(.crash) == .respawnNow)
    }

    @Test func anExitWhoseSlotIsNotRefilledCountsTowardIntensityButIsNoRestart() {
        var pool = Pool(policy: RestartPolicy(maximumRestarts: 1, maximumBootFailures: 0))
        #expect(pool.exit(.crash, refilled: false) == .noRestart)
        guard case .giveUp(.crashLoop, _) = pool.exit(.crash) else {
            Issue.record("a second exit within the window must give up")
            return
        }
    }

    @Test func restartIntensityGivesUpOnlyPastTheMaximumWithinTheWindow() {
        var pool = Pool(policy: RestartPolicy(minimumUptime: .zero, maximumRestarts: 3, restartWindow: .seconds(10)))
        for second in [0.0, 1, 2] { #expect(pool.exit(.crash, at: second) == .respawnNow) }
        #expect(pool.exit(.crash, at: 3) == .giveUp(
            .crashLoop, reason: "printer had 4 unrequested worker exits within 10.0 seconds, more than max_restarts 3"))
    }

    @Test func theRestartWindowSlides() {
        var pool = Pool(policy: RestartPolicy(minimumUptime: .zero, maximumRestarts: 2, restartWindow: .seconds(10)))
        for second in [0.0, 5, 10, 15, 20, 25] { #expect(pool.exit(.crash, at: second) == .respawnNow) }
        guard case .giveUp(.crashLoop, _) = pool.exit(.crash, at: 26) else {
            Issue.record("three exits within 10 s must give up")
            return
        }
    }

    @Test func bootFailuresInARowGiveUp() {
        var pool = Pool(policy: RestartPolicy(earlyFailuresBeforeBackoff: 10, maximumRestarts: 0, maximumBootFailures: 3))
        #expect(pool.exit(.failedBeforeReady, workerID: 0) == .respawnNow)
        #expect(pool.exit(.failedBeforeReady, workerID: 1) == .respawnNow)
        #expect(pool.exit(.failedBeforeReady, workerID: 2) == .giveUp(
            .bootFailure, reason: "3 printer workers in a row died before they were ready (max_boot_failures 3)"))
    }

    @Test func aReadyWorkerResetsTheBootFailures() {
        var pool = Pool(policy: RestartPolicy(earlyFailuresBeforeBackoff: 10, maximumRestarts: 0, maximumBootFailures: 3))
        _ = pool.exit(.failedBeforeReady)
        _ = pool.exit(.failedBeforeReady)
        pool.crashes.workerBecameReady(in: Pool.service)
        #expect(pool.exit(.crash) == .respawnNow)
        #expect(pool.exit(.failedBeforeReady) == .respawnNow)
        #expect(pool.exit(.failedBeforeReady) == .respawnNow)
        guard case .giveUp(.bootFailure, _) = pool.exit(.failedBeforeReady) else {
            Issue.record("the third boot failure since ready must give up")
            return
        }
    }

    @Test func zeroDisablesEachCheck() {
        var pool = Pool(policy: RestartPolicy(earlyFailuresBeforeBackoff: 1_000, maximumRestarts: 0, maximumBootFailures: 0))
        for _ in 0..<200 { #expect(pool.exit(.failedBeforeReady, at: 1) == .respawnNow) }
    }

    @Test func theDefaultPolicyNeverGivesUpOnWorkersThatBecameReadyOnlyOnBootFailures() {
        var pool = Pool(policy: .default)
        let decisions = (0..<1_000).map { index in
            pool.exit(.crash, workerID: index % 4, uptime: .seconds(2), at: Double(index) * 0.01)
        }
        let other = decisions.firstIndex { $0 != .respawnNow }
        #expect(other == nil, "1,000 crashes within 10 s, each respawned at once; crash \((other ?? 0) + 1): \(other.map { decisions[$0] })")
        for _ in 1..<RestartPolicy.default.maximumBootFailures { _ = pool.exit(.failedBeforeReady, at: 20) }
        guard case .giveUp(.bootFailure, _) = pool.exit(.failedBeforeReady, at: 20) else {
            Issue.record("the default still gives up on max_boot_failures workers in a row that never became ready")
            return
        }
    }

    @Test func outsideSignalExitsAreRespawnedAtOnceAndNeitherCountNorResetFailures() {
        var policy = Self.backoff
        policy.maximumRestarts = 2
        policy.maximumBootFailures = 2
        var pool = Pool(policy: policy)
        #expect(pool.exit(.failedBeforeReady) == .respawnNow)
        for _ in 0..<10 { #expect(pool.exit(.outsideSignal) == .noRestart) }
        // Neither the 2 restarts tolerated nor the boot failures in a row saw the outside
        // signals: the second boot failure gives up for boot failures.
        guard case .giveUp(.bootFailure, _) = pool.exit(.failedBeforeReady) else {
            Issue.record("outside-signal exits between two boot failures must not break the run")
            return
        }
    }

    @Test func zeroMinimumUptimeDisablesBootFailuresAndBackoff() {
        var pool = Pool(policy: RestartPolicy(minimumUptime: .zero, earlyFailuresBeforeBackoff: 0,
                                              maximumRestarts: 0, maximumBootFailures: 1))
        for _ in 0..<20 { #expect(pool.exit(.failedBeforeReady, uptime: .zero) == .respawnNow) }
    }
}
