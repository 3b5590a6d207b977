import CCotyledonLinux
import Glibc
import SystemPackage

/// Where the master publishes the application's settings snapshot for running workers:
/// one `MAP_SHARED | MAP_ANONYMOUS` region mapped before the first fork, so every worker
/// sees the master's pages (ARCHITECTURE.md § Application settings).
///
/// A header of two 64-bit words, the generation and the snapshot's length, then the
/// snapshot's bytes. The generation is a seqlock: odd while the master writes, even
/// otherwise, and it grows with every publication. The master, the only writer, never
/// waits; a reader retries a bounded number of times when a write overlaps its copy.
/// Only the pages a snapshot uses become resident.
final class SettingsRegion: @unchecked Sendable {
    /// The largest snapshot the region holds, in bytes (4 MiB: a snapshot of a settings
    /// file at its 1 MiB cap is about as large as the file).
    static let defaultCapacity = 4 << 20

    /// How many times a reader copies the snapshot before it gives up: each failed try
    /// overlapped a publication, which the master, single-threaded, finishes in one go.
    static let readAttempts = 100

    /// The largest snapshot this region holds, in bytes.
    let capacity: Int
    /// The generation, then the snapshot's length.
    let header: UnsafeMutablePointer<Int64>
    private let data: UnsafeMutableRawPointer

    /// Maps the region (in the master, before any fork).
    ///
    /// - Throws: `mmap`'s error when the kernel refuses the mapping.
    init(capacity: Int = defaultCapacity) throws(Errno) {
        let memory = try Syscall.mapSharedAnonymous(size: 16 + capacity)
        self.capacity = capacity
        header = memory.bindMemory(to: Int64.self, capacity: 2)
        data = memory + 16
    }

    /// The generation of the newest complete snapshot; 0 before the first publication.
    var generation: Int64 {
        ccotyledon_atomic_load_acquire(header) & ~1
    }

    /// Writes `bytes` as the newest snapshot (in the master) and returns its generation.
    ///
    /// - Precondition: `bytes.count <= capacity` (``SettingsSnapshot`` checks it).
    @discardableResult
    func publish(_ bytes: [UInt8]) -> Int64 {
        precondition(bytes.count <= capacity, "settings snapshot larger than its region")
        ccotyledon_seqlock_write_begin(header)
        ccotyledon_atomic_store(header + 1, Int64(bytes.count))
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { data.copyMemory(from: base, byteCount: source.count) }
        }
        ccotyledon_seqlock_write_end(header)
        return generation
    }

    /// Copies the newest complete snapshot (in a worker); `nil` when every attempt
    /// overlapped a write.
    func read() -> (generation: Int64, bytes: [UInt8])? {
        for _ in 0..<Self.readAttempts {
            let before = ccotyledon_atomic_load_acquire(header)
            let length = Int(ccotyledon_atomic_load(header + 1))
            guard before & 1 == 0, (0...capacity).contains(length) else {
                sched_yield()
                continue
            }
            let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                buffer.baseAddress.map { $0.initialize(from: data.assumingMemoryBound(to: UInt8.self), count: length) }
                count = length
            }
            if ccotyledon_seqlock_read_end(header) == before { return (before, bytes) }
        }
        return nil
    }
}
