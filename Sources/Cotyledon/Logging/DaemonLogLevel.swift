import CCotyledonLinux
import Glibc
import Logging
import SystemPackage

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

    /// The memory file holding the word, which an in-place upgrade hands the next image.
    let memory: SharedMemory
    private let word: UnsafeMutablePointer<Int64>

    /// Maps a word, unset; `nil` if the kernel refuses the mapping.
    init?() {
        guard let memory = try? SharedMemory.create(name: "cotyledon-log-level", size: MemoryLayout<Int64>.size) else { return nil }
        self.memory = memory
        word = memory.base.bindMemory(to: Int64.self, capacity: 1)
        ccotyledon_atomic_store(word, -1)
    }

    /// Maps the word of the master's previous image, which its workers still read.
    private init?(adopting descriptor: Int32) {
        guard let memory = try? SharedMemory.adopt(descriptor: FileDescriptor(rawValue: descriptor), size: MemoryLayout<Int64>.size) else { return nil }
        self.memory = memory
        word = memory.base.bindMemory(to: Int64.self, capacity: 1)
    }

    /// Maps the daemon's level (once, in the master, while it is single-threaded, before it
    /// forks) and sets it to `level`; after an upgrade, maps the previous image's word
    /// (`adopting`) so that the adopted workers follow the level too.
    static func install(_ level: Logger.Level, adopting descriptor: Int32? = nil) {
        if shared == nil { shared = descriptor.flatMap { DaemonLogLevel(adopting: $0) } ?? DaemonLogLevel() }
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
