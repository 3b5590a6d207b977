import Glibc
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
        // Shared pages, not a copy: two mappings at different addresses, and a value written
        // through either one is read back exactly through the other. The values are no clock
        // reading, so only the other mapping can have put them there.
        #expect(adopted.memory.base != board.memory.base, "a mapping of its own")
        board.memory.base.storeBytes(of: 7, toByteOffset: third * MemoryLayout<Int64>.stride, as: Int64.self)
        #expect(adopted.lastBeat(third)?.nanoseconds == 7, "the adopted board reads what the first one wrote")
        adopted.memory.base.storeBytes(of: 11, toByteOffset: first * MemoryLayout<Int64>.stride, as: Int64.self)
        #expect(board.lastBeat(first)?.nanoseconds == 11, "the first board reads what the adopted one wrote")
        adopted.beat(third)
        let beat = try #require(adopted.lastBeat(third))
        #expect(beat.nanoseconds != 7 && board.lastBeat(third) == beat, "a beat through the adopted board: \(beat)")
        // The released slot still holds a value; handing it out again zeroes it for both.
        board.memory.base.storeBytes(of: 13, toByteOffset: second * MemoryLayout<Int64>.stride, as: Int64.self)
        let reused = try #require(adopted.allocate())
        #expect(reused == second, "the free slot below the highest used one is reused first")
        #expect(board.lastBeat(second) == nil, "the slot the adopted board handed out is zeroed in the shared pages")
        let next = try #require(adopted.allocate())
        #expect(![first, second, third].contains(next), "a used slot is never handed out again: \(next)")
    }

    @Test func anAdoptedMemoryFileIsCloseOnExecAgain() throws {
        let memory = try SharedMemory.create(name: "crossing", size: 8)
        defer { Syscall.close(memory.descriptor) }
        try Syscall.setCloseOnExec(memory.descriptor.rawValue, false) // as before an upgrade's execve
        let adopted = try SharedMemory.adopt(descriptor: memory.descriptor, size: 8)
        #expect(fcntl(adopted.descriptor.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        adopted.base.storeBytes(of: 42, as: Int64.self)
        #expect(memory.base.load(as: Int64.self) == 42, "the same pages")
    }

    @Test func aDescriptorThatIsNoBoardIsRefused() throws {
        let small = try SharedMemory.create(name: "too-small", size: 8)
        defer { Syscall.close(small.descriptor) }
        #expect(HeartbeatBoard(adopting: small.descriptor.rawValue, used: []) == nil)
    }
}
