import Testing
@testable import Cotyledon

/// The start-up deadline used by these tests.
private let deadline = MonotonicInstant(nanoseconds: 5_000_000_000)

/// The master's lifecycle: start-up, reloads and their queue, stops and their escalation.
@Suite struct LifecycleTests {
    /// Starting ends once, when every worker is first ready; the deadline goes with it.
    @Test func startingEndsOnceWhenAllWorkersAreReady() {
        var lifecycle = Lifecycle.start(deadline: deadline)
        #expect(lifecycle == .starting(deadline: deadline, reload: nil))
        #expect(lifecycle.startupDeadline == deadline)
        let readiness = lifecycle.allWorkersReady()
        #expect(readiness)
        #expect(lifecycle == .running(reload: nil))
        #expect(lifecycle.startupDeadline == nil, "the start-up deadline ends with the start-up")
        let readiness2 = lifecycle.allWorkersReady()
        #expect(!readiness2, "READY=1 for the start-up is sent once")
    }

    /// A reload with no roll under way applies now and completes when the rolls are over.
    @Test func aReloadCompletesWhenItsRollsAreOver() {
        var lifecycle = Lifecycle.running(reload: nil)
        let reloadStart = lifecycle.reloadRequested(rollsInProgress: false)
        #expect(reloadStart == .apply)
        lifecycle.reloadApplied()
        let afterRolls = lifecycle.rollsFinished()
        #expect(afterRolls == .reloadComplete(failure: nil))
        #expect(lifecycle == .running(reload: nil))
        let afterRolls2 = lifecycle.rollsFinished()
        #expect(afterRolls2 == .nothing, "a roll that is not a reload's completes nothing")
    }

    /// However many reloads arrive during a roll, one more runs after it, and the first is
    /// logged as queued once.
    @Test func reloadsDuringARollAreQueuedAsOne() {
        var lifecycle = Lifecycle.running(reload: nil)
        lifecycle.reloadApplied()
        let reloadStart = lifecycle.reloadRequested(rollsInProgress: true)
        #expect(reloadStart == .queue(first: true))
        let reloadStart2 = lifecycle.reloadRequested(rollsInProgress: true)
        #expect(reloadStart2 == .queue(first: false))
        let reloadStart3 = lifecycle.reloadRequested(rollsInProgress: true)
        #expect(reloadStart3 == .queue(first: false))
        let afterRolls = lifecycle.rollsFinished()
        #expect(afterRolls == .reloadAgain)
        let reloadStart4 = lifecycle.reloadRequested(rollsInProgress: false)
        #expect(reloadStart4 == .apply)
    }

    /// A reload queued behind a roll that is not a reload's (a restart, a recycling) runs
    /// after it; nothing completes in between.
    @Test func aReloadQueuedBehindARestartRunsAfterIt() {
        var lifecycle = Lifecycle.running(reload: nil)
        let reloadStart = lifecycle.reloadRequested(rollsInProgress: true)
        #expect(reloadStart == .queue(first: true))
        let afterRolls = lifecycle.rollsFinished()
        #expect(afterRolls == .reloadAgain)
        #expect(lifecycle == .running(reload: nil))
    }

    /// An aborted roll fails the applied reload, and the next reload starts clean.
    @Test func anAbortedRollFailsTheReloadItBelongsTo() {
        var lifecycle = Lifecycle.running(reload: nil)
        lifecycle.rollAborted("not a reload's roll")
        #expect(lifecycle == .running(reload: nil))
        lifecycle.reloadApplied()
        lifecycle.rollAborted("printer worker(1) was not ready within 30 seconds")
        let afterRolls = lifecycle.rollsFinished()
        #expect(afterRolls == .reloadComplete(failure: "printer worker(1) was not ready within 30 seconds"))
        lifecycle.reloadApplied()
        let afterRolls2 = lifecycle.rollsFinished()
        #expect(afterRolls2 == .reloadComplete(failure: nil))
    }

    /// A reload during start-up is kept through the end of the start-up.
    @Test func aReloadDuringStartUpOutlivesIt() {
        var lifecycle = Lifecycle.start(deadline: nil)
        lifecycle.reloadApplied()
        let readiness = lifecycle.allWorkersReady()
        #expect(readiness)
        let afterRolls = lifecycle.rollsFinished()
        #expect(afterRolls == .reloadComplete(failure: nil))
    }

    /// The first stop request begins the stop in its mode; any further one makes it fast,
    /// once; the cause of the first is kept.
    @Test func aSecondStopRequestMakesTheStopFast() {
        var lifecycle = Lifecycle.running(reload: nil)
        let stopStart = lifecycle.stopRequested(fast: false, cause: .gaveUp(.crashLoop, reason: "too many exits"))
        #expect(stopStart == .begin(.graceful))
        #expect(lifecycle.stopMode == .graceful && !lifecycle.isSupervising)
        let stopStart2 = lifecycle.stopRequested(fast: false, cause: .requested)
        #expect(stopStart2 == .escalate)
        #expect(lifecycle.stopMode == .fast)
        let stopStart3 = lifecycle.stopRequested(fast: true, cause: .requested)
        #expect(stopStart3 == .nothing)
        #expect(lifecycle.exitStatus == .crashLoop)
    }

    /// A stop ends any reload under way, which then neither completes nor runs again, and
    /// reloads are refused while stopping.
    @Test func aStopEndsTheReload() {
        var lifecycle = Lifecycle.running(reload: nil)
        lifecycle.reloadApplied()
        _ = lifecycle.reloadRequested(rollsInProgress: true)
        let stopStart = lifecycle.stopRequested(fast: true, cause: .requested)
        #expect(stopStart == .begin(.fast))
        let afterRolls = lifecycle.rollsFinished()
        #expect(afterRolls == .nothing)
        let reloadStart = lifecycle.reloadRequested(rollsInProgress: false)
        #expect(reloadStart == .refuse)
        lifecycle.reloadApplied()
        #expect(lifecycle == .stopping(.fast, cause: .requested))
    }

    /// Each stop cause has its exit status and the status line systemd is left with.
    @Test func stopCausesGiveTheExitStatus() {
        #expect(Lifecycle.running(reload: nil).exitStatus == .stopped)
        #expect(Lifecycle.StopCause.requested.exitStatus == .stopped)
        #expect(Lifecycle.StopCause.requested.statusPrefix == nil)
        #expect(Lifecycle.StopCause.gaveUp(.bootFailure, reason: "5 in a row").exitStatus == .bootFailure)
        #expect(Lifecycle.StopCause.gaveUp(.bootFailure, reason: "5 in a row").statusPrefix == "gave up: 5 in a row")
        #expect(Lifecycle.StopCause.startupTimedOut(status: "startup failed").exitStatus == .startupTimedOut)
        #expect(Lifecycle.StopCause.startupTimedOut(status: "startup failed").statusPrefix == "startup failed")
    }
}

