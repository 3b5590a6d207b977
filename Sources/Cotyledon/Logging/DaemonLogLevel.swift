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

    /// The level; `nil` until one is set. Read at every record: one load, no allocation.
    var level: Logger.Level? {
        get { Self.level(ccotyledon_atomic_load(word)) }
        set { ccotyledon_atomic_store(word, newValue.map(Self.number) ?? -1) }
    }

    private static func number(_ level: Logger.Level) -> Int64 {
        switch level {
        case .trace: return 0
        case .debug: return 1
        case .info: return 2
        case .notice: return 3
        case .warning: return 4
        case .error: return 5
        case .critical: return 6
        }
    }

    private static func level(_ number: Int64) -> Logger.Level? {
        switch number {
        case 0: return .trace
        case 1: return .debug
        case 2: return .info
        case 3: return .notice
        case 4: return .warning
        case 5: return .error
        case 6: return .critical
        default: return nil
        }
    }
}
