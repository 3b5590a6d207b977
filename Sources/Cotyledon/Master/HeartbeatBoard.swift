import CCotyledonLinux
import Glibc
import SystemPackage

/// A scoreboard in shared memory: one `CLOCK_MONOTONIC` timestamp per worker slot,
/// written by the worker's beat task and read by the master on its own deadline — no
/// wake-up of the master per beat, whatever the pool size.
///
/// A ``SharedMemory`` mapped before any fork, so every worker writes into the master's
/// pages, and the master's next image after an upgrade maps them again. Only the pages of
/// used slots become resident.
final class HeartbeatBoard: @unchecked Sendable {
    /// Slots available; more workers at once than this go without heartbeat checks.
    static let capacity = 65_536

    private static let size = capacity * MemoryLayout<Int64>.stride

    /// The memory file the board lives in.
    let memory: SharedMemory
    private let beats: UnsafeMutablePointer<Int64>
    private var freeSlots: [Int] = []
    private var nextUnused = 0

    /// Maps a new board, or returns `nil` if the kernel refuses the mapping.
    convenience init?() {
        guard let memory = try? SharedMemory.create(name: "cotyledon-heartbeats", size: Self.size) else { return nil }
        self.init(memory: memory, used: [])
    }

    /// Maps the board of the master's previous image, whose adopted workers hold `used` slots.
    convenience init?(adopting descriptor: Int32, used: [Int]) {
        guard let memory = try? SharedMemory.adopt(descriptor: FileDescriptor(rawValue: descriptor), size: Self.size) else { return nil }
        self.init(memory: memory, used: used)
    }

    private init(memory: SharedMemory, used: [Int]) {
        self.memory = memory
        beats = memory.base.bindMemory(to: Int64.self, capacity: Self.capacity)
        let valid = Set(used.filter { (0..<Self.capacity).contains($0) })
        nextUnused = (valid.max() ?? -1) + 1
        freeSlots = (0..<nextUnused).filter { !valid.contains($0) }.reversed()
    }

    /// Takes a free slot (in the master), zeroed; `nil` when the board is full.
    func allocate() -> Int? {
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
        } else if nextUnused < Self.capacity {
            slot = nextUnused
            nextUnused += 1
        } else {
            return nil
        }
        ccotyledon_atomic_store(beats + slot, 0)
        return slot
    }

    /// Gives a slot back (in the master) once its worker was reaped.
    func release(_ slot: Int) {
        guard (0..<Self.capacity).contains(slot) else { return }
        freeSlots.append(slot)
    }

    /// Records a beat now (in the worker). A relaxed atomic store: the master, another
    /// process, never sees half of it.
    func beat(_ slot: Int) {
        ccotyledon_atomic_store(beats + slot, MonotonicInstant.now.nanoseconds)
    }

    /// The last beat of `slot`, or `nil` before the first.
    func lastBeat(_ slot: Int) -> MonotonicInstant? {
        let value = ccotyledon_atomic_load(beats + slot)
        return value == 0 ? nil : MonotonicInstant(nanoseconds: value)
    }
}
