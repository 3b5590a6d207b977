import CotyledonControlProtocol
import Glibc

/// One connection to the daemon's control socket: every system call of `cotyledonctl` is here.
///
/// Each operation takes a deadline and maps what can go wrong to a ``ControlFailure`` with the
/// right exit status: nothing listening (69), permission denied or an untrusted socket directory
/// (77), no answer in time (75), connection closed before an answer (76).
final class ControlConnection {
    /// The longest answer accepted (a `status` of thousands of workers stays far below it).
    static let maximumResponseBytes = 16 << 20

    /// The socket's path, for messages.
    let path: String
    private let descriptor: Int32
    private var received: [UInt8] = []

    /// Connects to the unix stream socket at `path`, waiting until `deadline` at most when the
    /// daemon's accept queue is full. A socket whose directory users other than this one (and
    /// root) can write to is refused (see `ControlSocketDirectory`).
    /// - Throws: ``ControlFailure`` with ``ControlExitCode/notRunning``,
    ///   ``ControlExitCode/permissionDenied``, ``ControlExitCode/timedOut`` or
    ///   ``ControlExitCode/usage`` (a path too long for a socket address).
    init(path: String, deadline: ContinuousClock.Instant) throws(ControlFailure) {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw ControlFailure(.usage, "socket path '\(path)' is not usable: a socket path has 1 to \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        // Whoever can write to the socket's directory can answer in the daemon's place.
        if let problem = ControlSocketDirectory.clientProblem(socket: path) {
            throw ControlFailure(.permissionDenied, """
            refusing to connect to \(path): \(problem), so another user could answer in the daemon's place; \
            keep the socket in a directory only the daemon's user (or root) can write to
            """)
        }

        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw ControlFailure(.notRunning, "cannot create a socket: \(Self.describe(errno))")
        }
        // A blocking connect waits only when the listener's queue is full; SO_SNDTIMEO bounds it.
        var timeout = Self.timeval(until: deadline)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if result == 0 { break }
            let error = errno
            if error == EINTR && ContinuousClock.now < deadline { continue }
            close(descriptor)
            throw Self.connectFailure(error, path: path)
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(descriptor)
    }

    /// Sends all of `bytes` before `deadline`.
    ///
    /// A daemon that answers and closes at once (`busy`, `permission-denied`) may close before
    /// the request is fully sent: a reset or broken pipe then ends the sending quietly, and the
    /// answer is still read by ``receiveLine(deadline:)``.
    /// - Throws: ``ControlFailure`` with ``ControlExitCode/timedOut`` or
    ///   ``ControlExitCode/protocolError``.
    func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(ControlFailure) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                offset += count
                continue
            }
            let error = errno
            switch error {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                try wait(for: Int16(POLLOUT), until: deadline, doing: "sending the request")
            case EPIPE, ECONNRESET:
                return
            default:
                throw ControlFailure(.protocolError, "cannot send the request to \(path): \(Self.describe(error))")
            }
        }
    }

    /// Reads the next line, without its `\n`, before `deadline`.
    /// - Throws: ``ControlFailure`` with ``ControlExitCode/timedOut``, or
    ///   ``ControlExitCode/protocolError`` when the connection ends before a whole line or the
    ///   line is longer than ``maximumResponseBytes``.
    func receiveLine(deadline: ContinuousClock.Instant) throws(ControlFailure) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(received[..<newline])
                received.removeSubrange(...newline)
                return line
            }
            guard received.count <= Self.maximumResponseBytes else {
                throw ControlFailure(.protocolError, "the answer from \(path) is longer than \(Self.maximumResponseBytes) bytes")
            }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[0..<count])
                continue
            }
            let error = count == 0 ? 0 : errno
            switch error {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                try wait(for: Int16(POLLIN), until: deadline, doing: "waiting for the answer")
            case 0, ECONNRESET:
                let partial = received.isEmpty ? "" : " (after \(received.count) bytes of an unfinished line)"
                throw ControlFailure(.protocolError, "the daemon at \(path) closed the connection before answering\(partial)")
            default:
                throw ControlFailure(.protocolError, "cannot read the answer from \(path): \(Self.describe(error))")
            }
        }
    }

    /// Polls for `events` until `deadline`.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant, doing what: String) throws(ControlFailure) {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                throw ControlFailure(.timedOut, "no answer from the daemon at \(path) in time (\(what))")
            }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw ControlFailure(.protocolError, "poll on \(path): \(Self.describe(errno))")
            }
        }
    }

    /// The failure a `connect` error means.
    private static func connectFailure(_ error: Int32, path: String) -> ControlFailure {
        switch error {
        case ENOENT, ENOTDIR, ECONNREFUSED:
            ControlFailure(.notRunning, """
            the daemon is not running: nothing listens on \(path) (\(describe(error))); \
            give its socket with --socket or \(ControlSocketLocation.environmentVariable), or its executable's name with --program
            """)
        case EACCES, EPERM:
            ControlFailure(.permissionDenied, """
            permission denied connecting to \(path) (\(describe(error))): run as the daemon's user or root
            """)
        case EAGAIN, EWOULDBLOCK, ETIMEDOUT:
            ControlFailure(.timedOut, "timed out connecting to \(path): the daemon is not accepting connections")
        default:
            ControlFailure(.notRunning, "cannot connect to \(path): \(describe(error))")
        }
    }

    /// `strerror` with the symbolic name of the common cases.
    private static func describe(_ error: Int32) -> String {
        let names: [Int32: String] = [
            ENOENT: "ENOENT", ENOTDIR: "ENOTDIR", ECONNREFUSED: "ECONNREFUSED", EACCES: "EACCES", EPERM: "EPERM",
            EAGAIN: "EAGAIN", ECONNRESET: "ECONNRESET", EPIPE: "EPIPE",
        ]
        let text = String(cString: strerror(error))
        return names[error].map { "\($0): \(text)" } ?? text
    }

    /// The time left until `deadline` as a `timeval`, at least 1 ms (0 would mean "forever").
    private static func timeval(until deadline: ContinuousClock.Instant) -> Glibc.timeval {
        let left = max(ContinuousClock.now.duration(to: deadline), .milliseconds(1))
        let (seconds, attoseconds) = left.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
