import CCotyledonLinux
import Glibc
import Logging

/// The daemon's log level, in memory shared by the master and every worker.
///
/// The master maps it before its first fork and writes it: the configuration's
/// `log_level` at start and at every reload, and the level `cotyledonctl log-level` sets.
/// Every ``CotyledonLogHandler`` without a level of its own reads it at each record, in
/// the master and in every worker already running: a level change needs no signal and
/// no restart, and wakes nobody.
final class DaemonLogLevel: @unchecked Sendable {
    /// The daemon's instance, once the master has mapped it; inherited by every fork.
    nonisolated(unsafe) private(set) static var shared: DaemonLogLevel?

    private let word: UnsafeMutablePointer<Int64>

    /// Maps a word, unset; `nil` if the kernel refuses the mapping.
    init?() {
        guard let memory = mmap(nil, MemoryLayout<Int64>.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { return nil }
        word = memory.bindMemory(to: Int64.self, capacity: 1)
        ccotyledon_atomic_store(word, -1)
    }

    /// Maps the daemon's level (once, in the master, while it is single-threaded, before it
    /// forks) and sets it to `level`.
    static func install(_ level: Logger.Level) {
        if shared == nil { shared = DaemonLogLevel() }
        shared?.level = level
    }

    /// The level; `nil` until one is set.
    var level: Logger.Level? {
        get {
            let raw = ccotyledon_atomic_load(word)
            return Logger.Level.allCases.indices.contains(Int(raw)) ? Logger.Level.allCases[Int(raw)] : nil
        }
        set {
            let raw = newValue.flatMap { Logger.Level.allCases.firstIndex(of: $0) } ?? -1
            ccotyledon_atomic_store(word, Int64(raw))
        }
    }
}
