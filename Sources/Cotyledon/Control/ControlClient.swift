import Glibc
import SystemPackage

/// One connected control client: its buffers and deadline, served from the master's
/// loop without ever blocking it.
final class ControlClient {
    /// The longest request line accepted.
    static let maximumRequestSize = 64 * 1024
    /// The most output kept for a client that does not read its responses.
    static let maximumPendingOutput = 4 * 1024 * 1024
    /// A client silent for this long is disconnected.
    static let idleTimeout: Duration = .seconds(10)

    let id: UInt64
    let descriptor: FileDescriptor
    var input: [UInt8] = []
    var output: [UInt8] = []
    var idleDeadline: MonotonicInstant
    /// Whether the client waits for the outcome of a reload (`reload --wait`).
    var waitsForReload = false
    /// Close once the output is written.
    var closeAfterWrite = false

    init(id: UInt64, descriptor: FileDescriptor) {
        self.id = id
        self.descriptor = descriptor
        self.idleDeadline = .now + Self.idleTimeout
    }

    /// The complete request lines received so far, removed from the buffer; `nil` when a
    /// line (complete or pending) is longer than ``maximumRequestSize``.
    func takeLines() -> [[UInt8]]? {
        var lines: [[UInt8]] = []
        while let newline = input.firstIndex(of: 0x0A) {
            guard newline <= Self.maximumRequestSize else { return nil }
            lines.append(Array(input[..<newline]))
            input.removeSubrange(...newline)
        }
        return input.count > Self.maximumRequestSize ? nil : lines
    }

    /// Writes as much pending output as the socket takes; returns false on a dead peer.
    func flush() -> Bool {
        while !output.isEmpty {
            let written = output.withUnsafeBytes { send(descriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            output.removeFirst(written)
        }
        return true
    }
}
