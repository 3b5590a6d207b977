import Glibc
import Testing
@testable import Cotyledon

@Suite struct WorkerExitStatusTests {
    @Test func decodesANormalExit() {
        let status = WorkerExitStatus(waitStatus: 3 << 8)
        #expect(status == .exited(code: 3))
        #expect(status.description == "exited with status 3")
        #expect(status.token == "exited:3")
        #expect(!status.isSuccess)
        #expect(WorkerExitStatus(waitStatus: 0).isSuccess)
    }

    @Test func decodesADeathBySignalWithItsName() {
        let status = WorkerExitStatus(waitStatus: SIGKILL)
        #expect(status == .killed(by: .kill, coreDumped: false))
        #expect(status.description == "killed by SIGKILL")
        #expect(status.token == "killed:SIGKILL")
    }

    @Test func reportsACoreDump() {
        let status = WorkerExitStatus(waitStatus: SIGSEGV | 0x80)
        #expect(status == .killed(by: Signal(rawValue: SIGSEGV), coreDumped: true))
        #expect(status.description == "killed by SIGSEGV (core dumped)")
    }

    @Test func namesSignalsLikeKill() {
        #expect(Signal.ttin.description == "SIGTTIN")
        #expect(Signal(rawValue: 40).description == "SIG40")
    }
}
