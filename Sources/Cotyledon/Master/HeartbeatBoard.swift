import CCotyledonLinux
import Glibc

/// A scoreboard in shared memory: one `CLOCK_MONOTONIC` timestamp per worker slot,
/// written by the worker's beat task and read by the master on its own deadline — no
/// wake-up of the master per beat, whatever the pool size.
///
/// Mapped `MAP_SHARED | MAP_ANONYMOUS` before any fork, so every worker writes into the
/// master's pages. Only the pages of used slots become resident.
final class HeartbeatBoard: @unchecked Sendable {
    /// Slots available; more workers at once than this go without heartbeat checks.
    static let capacity = 65_536

    private let beats: UnsafeMutablePointer<Int64>
    private var freeSlots: [Int] = []
    private var nextUnused = 0

    /// Maps the board, or returns `nil` if the kernel refuses the mapping.
    init?() {
        let size = Self.capacity * MemoryLayout<Int64>.stride
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { return nil }
        beats = memory.bindMemory(to: Int64.self, capacity: Self.capacity)
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
