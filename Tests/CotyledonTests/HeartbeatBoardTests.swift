import Testing
@testable import Cotyledon

/// The heartbeat board in a memory file: what the master's next image maps after an upgrade.
@Suite struct HeartbeatBoardTests {
    @Test func theNextImageSeesTheSameBeatsAndKeepsTheUsedSlots() throws {
        let board = try #require(HeartbeatBoard())
        let first = try #require(board.allocate())
        let second = try #require(board.allocate())
        let third = try #require(board.allocate())
        board.release(second)
        board.beat(first)
        board.beat(third)
        let adopted = try #require(HeartbeatBoard(adopting: board.memory.descriptor.rawValue, used: [first, third]))
        #expect(adopted.lastBeat(first) == board.lastBeat(first) && adopted.lastBeat(first) != nil)
        #expect(adopted.lastBeat(third) == board.lastBeat(third))
        // Shared pages: a beat written through one mapping shows in the other.
        let before = try #require(board.lastBeat(third))
        adopted.beat(third)
        #expect(try #require(board.lastBeat(third)) >= before)
        let reused = try #require(adopted.allocate())
        #expect(reused == second, "the free slot below the highest used one is reused first")
        let next = try #require(adopted.allocate())
        #expect(![first, second, third].contains(next), "a used slot is never handed out again: \(next)")
    }

    @Test func aDescriptorThatIsNoBoardIsRefused() throws {
        let small = try SharedMemory.create(name: "too-small", size: 8)
        defer { Syscall.close(small.descriptor) }
        #expect(HeartbeatBoard(adopting: small.descriptor.rawValue, used: []) == nil)
    }
}
