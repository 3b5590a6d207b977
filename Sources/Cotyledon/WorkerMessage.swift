import Glibc

/// Messages a worker writes to its master over its private pipe: a tag byte, then the
/// message's fixed-size fields. Each message is written by one `write` of at most
/// ``maximumLength`` bytes, which a pipe never interleaves with another.
enum WorkerMessage: Equatable {
    /// The worker is ready to do its work.
    case ready
    /// The worker is finishing so that it is respawned for a reload.
    case exitingForReload
    /// The worker is stopping because of `signal`, which process `sender` sent, not the
    /// master (0: the kernel).
    case stoppedByOutsideSignal(Signal, sender: pid_t)

    /// The tag byte of ``ready``: "R".
    static let readyTag: UInt8 = 0x52
    /// The tag byte of ``exitingForReload``: "L".
    static let exitingForReloadTag: UInt8 = 0x4C
    /// The tag byte of ``stoppedByOutsideSignal(_:sender:)``: "S", followed by the signal
    /// number (one byte) and the sender's pid (four bytes, little-endian).
    static let stoppedByOutsideSignalTag: UInt8 = 0x53
    /// The longest message, in bytes.
    static let maximumLength = 6

    /// The message's length, tag included, for a message starting with `tag`; `nil` for
    /// a byte that starts no message.
    static func length(ofMessageTagged tag: UInt8) -> Int? {
        switch tag {
        case readyTag, exitingForReloadTag: 1
        case stoppedByOutsideSignalTag: maximumLength
        default: nil
        }
    }

    /// Decodes a whole message: `bytes` start with a tag and hold exactly the length
    /// ``length(ofMessageTagged:)`` gives for it.
    init?(_ bytes: ArraySlice<UInt8>) {
        guard let tag = bytes.first, Self.length(ofMessageTagged: tag) == bytes.count else { return nil }
        switch tag {
        case Self.readyTag: self = .ready
        case Self.exitingForReloadTag: self = .exitingForReload
        default:
            let start = bytes.startIndex
            let pid = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[start + 2 + $1]) << (8 * $1) }
            self = .stoppedByOutsideSignal(Signal(rawValue: Int32(bytes[start + 1])), sender: pid_t(bitPattern: pid))
        }
    }

    /// The message as written to the pipe.
    var bytes: [UInt8] {
        switch self {
        case .ready: [Self.readyTag]
        case .exitingForReload: [Self.exitingForReloadTag]
        case .stoppedByOutsideSignal(let signal, let sender):
            [Self.stoppedByOutsideSignalTag, UInt8(truncatingIfNeeded: signal.rawValue)]
                + (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: sender) >> (8 * $0)) }
        }
    }
}
