import Logging
import Testing
@testable import Cotyledon

/// What the master's new image does with parts of the record it cannot take over.
@Suite struct UpgradeAdoptionTests {
    /// A heartbeat board that cannot be mapped again (here a pipe, not a memory file) leaves
    /// the new image with a new board, not without heartbeat checks for the workers it forks.
    @Test func anUnmappableHeartbeatBoardIsReplacedByANewOne() throws {
        let pipe = try Syscall.pipe()
        defer {
            Syscall.close(pipe.readEnd)
            Syscall.close(pipe.writeEnd)
        }
        var state = UpgradeStateTests.sample
        state.heartbeatBoard = pipe.readEnd.rawValue
        #expect(HeartbeatBoard(adopting: state.heartbeatBoard, used: []) == nil, "the pipe is no board")
        let logger = Logger(label: "upgrade-adoption-tests") { _ in SwiftLogNoOpLogHandler() }
        let board = try #require(Master.adoptHeartbeatBoard(of: state, logger: logger))
        #expect(board.allocate() == 0, "a new, empty board")
    }
}
