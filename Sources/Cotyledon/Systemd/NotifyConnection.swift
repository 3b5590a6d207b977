import Glibc
import SystemPackage

/// The master's end of the notify socket: a non-blocking, close-on-exec unix datagram
/// socket connected to `NOTIFY_SOCKET`.
///
/// A send never waits (`MSG_DONTWAIT`, with or without descriptors; libsystemd's
/// `sd_pid_notify_with_fds` would block): when the manager's queue is full it reports
/// ``Outcome/wouldBlock``.
/// Connected, so that `epoll` reports the socket writable when the manager's queue has
/// room again (an unconnected datagram socket always looks writable). When the manager's
/// socket is closed, maybe replaced by a new one at the same address, the next send
/// connects again.
final class NotifyConnection {
    /// What became of a datagram.
    enum Outcome: Equatable {
        /// The manager has it.
        case sent
        /// The manager's queue (or the send buffer) is full: try again later.
        case wouldBlock
        /// It cannot be sent (no socket at the address, no permission…), with the reason.
        case failed(String)
    }

    /// Where the manager listens.
    let address: NotifySocketAddress
    /// The socket (non-blocking, close-on-exec).
    let descriptor: FileDescriptor
    private var isConnected = false

    /// Creates the socket; it connects at the first send.
    init(address: NotifySocketAddress) throws(Errno) {
        self.address = address
        descriptor = try Syscall.unixDatagramSocket()
    }

    /// Sends `text` as one datagram with copies of `descriptors` (`SCM_RIGHTS`), connecting
    /// first if needed. The caller keeps its descriptors.
    func send(_ text: String, passing descriptors: [FileDescriptor] = []) -> Outcome {
        if !isConnected, let failure = openConnection() {
            return .failed(failure)
        }
        switch attempt(text, descriptors) {
        case .failure(.connectionRefused), .failure(.socketNotConnected):
            // The manager's socket was closed, maybe replaced by a new one: connect again, once.
            isConnected = false
            if let failure = openConnection() { return .failed(failure) }
            return Self.outcome(of: attempt(text, descriptors))
        case let result:
            return Self.outcome(of: result)
        }
    }

    /// Connects to ``address``; the reason when it cannot.
    private func openConnection() -> String? {
        do {
            try address.withSocketAddress { (pointer, length) throws(Errno) in
                try Syscall.connect(descriptor, to: pointer, length: length)
            }
            isConnected = true
            return nil
        } catch {
            return "connect: \(error)"
        }
    }

    private func attempt(_ text: String, _ descriptors: [FileDescriptor]) -> Result<Bool, Errno> {
        var text = text
        return text.withUTF8 { bytes in
            Result { () throws(Errno) in try Syscall.sendDatagram(descriptor, UnsafeRawBufferPointer(bytes), passing: descriptors) }
        }
    }

    private static func outcome(of result: Result<Bool, Errno>) -> Outcome {
        switch result {
        case .success(true): .sent
        case .success(false): .wouldBlock
        // Out of kernel memory for now: like a full queue, worth another try.
        case .failure(.noBufferSpace), .failure(.noMemory): .wouldBlock
        case .failure(let error): .failed("send: \(error)")
        }
    }
}
