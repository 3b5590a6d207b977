import Testing
@testable import Cotyledon

/// The lifecycle around an in-place upgrade: when one is refused, and the new image's
/// rolls that complete it.
@Suite struct LifecycleUpgradeTests {
    /// An idle running master checks the upgrade; a starting or stopping one refuses it.
    @Test func anUpgradeIsCheckedOnlyWhileRunning() {
        var lifecycle = Lifecycle.running(reload: nil)
        #expect(lifecycle.upgradeRequested(rollsInProgress: false) == .check)
        #expect(Lifecycle.start(deadline: nil).upgradeRequested(rollsInProgress: false)
                == .refuse(reason: "the daemon is starting; upgrade once every worker is ready"))
        _ = lifecycle.stopRequested(fast: false, cause: .requested)
        #expect(lifecycle.upgradeRequested(rollsInProgress: false) == .refuse(reason: "the daemon is stopping"))
    }

    /// A reload under way, queued, or a rolling restart refuses the upgrade.
    @Test func anUpgradeIsRefusedDuringAReloadOrARoll() {
        let refusal = Lifecycle.UpgradeStart.refuse(reason: "a reload is in progress; upgrade when it completes")
        var reloading = Lifecycle.running(reload: nil)
        reloading.reloadApplied()
        #expect(reloading.upgradeRequested(rollsInProgress: false) == refusal)
        var queued = Lifecycle.running(reload: nil)
        _ = queued.reloadRequested(rollsInProgress: true)
        #expect(queued.upgradeRequested(rollsInProgress: true) == refusal)
        #expect(Lifecycle.running(reload: nil).upgradeRequested(rollsInProgress: true) == refusal, "a restart's roll")
    }

    /// The new image is running: `READY=1` comes when the upgrade's rolls are over, not from
    /// a start-up.
    @Test func theNewImageCompletesTheUpgradeAfterItsRolls() {
        var lifecycle = Lifecycle.adoptedUpgrade(reloadQueued: false)
        #expect(lifecycle.isSupervising)
        #expect(lifecycle.startupDeadline == nil)
        let readiness = lifecycle.allWorkersReady()
        #expect(!readiness, "no start-up READY=1 in the new image")
        #expect(lifecycle.upgradeRequested(rollsInProgress: true)
                == .refuse(reason: "an upgrade is in progress; upgrade again when it completes"),
                "a second upgrade waits for the first one's rolls, and says so")
        #expect(lifecycle.rollsFinished() == .upgradeComplete(failure: nil, reloadAfter: false))
        #expect(lifecycle == .running(reload: nil))
        #expect(lifecycle.rollsFinished() == .nothing)
    }

    /// A reload asked for during the upgrade (in either image) runs once its rolls are over,
    /// after the upgrade's answer.
    @Test func aReloadDuringTheUpgradeRollsRunsAfterIt() {
        var lifecycle = Lifecycle.adoptedUpgrade(reloadQueued: false)
        #expect(lifecycle.reloadRequested(rollsInProgress: true) == .queue(first: true))
        #expect(lifecycle.reloadRequested(rollsInProgress: true) == .queue(first: false))
        #expect(lifecycle.rollsFinished() == .upgradeComplete(failure: nil, reloadAfter: true))
        var handedOver = Lifecycle.adoptedUpgrade(reloadQueued: true)
        #expect(handedOver.rollsFinished() == .upgradeComplete(failure: nil, reloadAfter: true))
    }

    /// An aborted roll fails the upgrade, with its reason.
    @Test func anAbortedRollFailsTheUpgrade() {
        var lifecycle = Lifecycle.adoptedUpgrade(reloadQueued: false)
        lifecycle.rollAborted("rolling restart of web aborted")
        #expect(lifecycle.rollsFinished() == .upgradeComplete(failure: "rolling restart of web aborted", reloadAfter: false))
    }

    /// A stop during the upgrade's rolls ends them: nothing is completed afterwards.
    @Test func aStopEndsTheUpgrade() {
        var lifecycle = Lifecycle.adoptedUpgrade(reloadQueued: true)
        _ = lifecycle.stopRequested(fast: false, cause: .requested)
        #expect(lifecycle.rollsFinished() == .nothing)
    }
}
