import Testing
@testable import Cotyledon

@Suite struct WorkerExitReasonTests {
    @Test func onlyUnrequestedExitsCountAsFailures() {
        #expect(WorkerExitReason.crash.isFailure)
        #expect(WorkerExitReason.failedBeforeReady.isFailure)
        #expect(!WorkerExitReason.stopped.isFailure)
        #expect(!WorkerExitReason.reload.isFailure)
        #expect(!WorkerExitReason.scaledDown.isFailure)
        #expect(!WorkerExitReason.outsideSignal.isFailure)
    }

    @Test func logTokensAreStable() {
        #expect(WorkerExitReason.failedBeforeReady.rawValue == "failed-before-ready")
        #expect(WorkerExitReason.scaledDown.rawValue == "scaled-down")
        #expect(WorkerExitReason.outsideSignal.rawValue == "outside-signal")
    }
}
