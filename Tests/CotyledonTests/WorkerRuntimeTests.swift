import Testing
@testable import Cotyledon

@Suite struct WorkerRuntimeTests {
    @Test("a worker gives up on terminate() a tenth of the timeout early, at most half a second early")
    func givesUpJustBeforeTheGracefulTimeout() {
        #expect(WorkerRuntime.giveUpDelay(after: .seconds(60)) == .milliseconds(59_500))
        #expect(WorkerRuntime.giveUpDelay(after: .seconds(5)) == .milliseconds(4_500))
        #expect(WorkerRuntime.giveUpDelay(after: .seconds(1)) == .milliseconds(900))
        #expect(WorkerRuntime.giveUpDelay(after: .zero) == .zero)
    }
}
