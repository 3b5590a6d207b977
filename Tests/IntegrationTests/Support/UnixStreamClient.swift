import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw client of a unix stream socket, for speaking the control protocol byte by byte from
/// the test process: malformed and partial requests, idle connections, floods. Every read has
/// a deadline.
final class UnixStreamClient {
    /// What a read found before its deadline.
    enum ReadOutcome: Equatable, CustomStringConvertible {
        /// A whole line, without its `\n`.
        case line(String)
        /// The peer closed the connection (end of file or reset) before a whole line.
        case closed
        /// Nothing complete arrived in time.
        case nothing

        var description: String {
            switch self {
            case .line(let text): "line \(text.count > 300 ? String(text.prefix(300)) + "…" : text)"
            case .closed: "closed"
            case .nothing: "nothing"
            }
        }
    }

    /// Why a connection could not be made.
    struct ConnectError: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        var description: String { "connect \(path): \(String(cString: strerror(errno)))" }
    }

    let path: String
    private(set) var descriptor: Int32
    private var received: [UInt8] = []
    private var peerClosed = false

    /// Connects to `path`, waiting at most `timeout` when the listener's queue is full.
    /// - Throws: ``ConnectError`` with the `errno` of `connect` (`EAGAIN` when the wait ran out).
    init(path: String, timeout: Duration = .seconds(5)) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ConnectError(path: path, errno: errno) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds),
                            tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        var result: Int32
        repeat {
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw ConnectError(path: path, errno: error)
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close()
    }

    /// Closes the connection (idempotent).
    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends `text` as UTF-8; see ``send(bytes:timeout:)``.
    @discardableResult
    func send(_ text: String, timeout: Duration = .seconds(5)) throws -> Int {
        try send(bytes: Array(text.utf8), timeout: timeout)
    }

    /// Sends `bytes`, waiting for room at most `timeout` in all.
    /// - Returns: how many were sent before the peer closed the connection (all of them if it
    ///   did not).
    /// - Throws: ``DriverError`` when the deadline passed or another error occurred.
    @discardableResult
    func send(bytes: [UInt8], timeout: Duration = .seconds(5)) throws -> Int {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EPIPE, ECONNRESET: return offset
            case EAGAIN, EWOULDBLOCK:
                guard try poll(Int16(POLLOUT), until: deadline) else {
                    throw DriverError("sending to \(path): no room after \(timeout) (\(offset) of \(bytes.count) bytes sent)")
                }
            default:
                throw DriverError("send to \(path): \(String(cString: strerror(errno)))")
            }
        }
        return offset
    }

    /// Reads the next line, or finds the connection closed, or nothing within `timeout`.
    func read(within timeout: Duration) throws -> ReadOutcome {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let line = takeLine() { return .line(line) }
            if peerClosed { return .closed }
            guard try poll(Int16(POLLIN), until: deadline) else { return .nothing }
            drain()
        }
    }

    /// Reads the next line, which must come within `timeout`.
    /// - Throws: ``DriverError`` if the connection closed or nothing came in time.
    func readLine(timeout: Duration = .seconds(5)) throws -> String {
        switch try read(within: timeout) {
        case .line(let text): return text
        case let other: throw DriverError("expected a line from \(path) within \(timeout), got \(other)")
        }
    }

    /// Reads the next line as a JSON object.
    func readResponse(timeout: Duration = .seconds(5)) throws -> [String: Any] {
        let line = try readLine(timeout: timeout)
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw DriverError("not a JSON object from \(path): \(line)")
        }
        return object
    }

    /// Sends `request` and a `\n`, then reads the response.
    func exchange(_ request: String, timeout: Duration = .seconds(5)) throws -> [String: Any] {
        try send(request + "\n")
        return try readResponse(timeout: timeout)
    }

    /// One outcome per client: for each, its next line or the end of its connection, waiting
    /// for all of them together with one deadline (a single `poll` over every descriptor).
    static func readAll(_ clients: [UnixStreamClient], timeout: Duration) throws -> [ReadOutcome] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var outcomes = [ReadOutcome?](repeating: nil, count: clients.count)
        while true {
            var waiting: [Int] = []
            for (index, client) in clients.enumerated() where outcomes[index] == nil {
                if let line = client.takeLine() {
                    outcomes[index] = .line(line)
                } else if client.peerClosed {
                    outcomes[index] = .closed
                } else {
                    waiting.append(index)
                }
            }
            if waiting.isEmpty { break }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { break }
            var fds = waiting.map { pollfd(fd: clients[$0].descriptor, events: Int16(POLLIN), revents: 0) }
            let ready = Glibc.poll(&fds, nfds_t(fds.count), Int32(left.seconds * 1000) + 1)
            if ready < 0 && errno != EINTR { throw DriverError("poll: \(String(cString: strerror(errno)))") }
            for (slot, index) in waiting.enumerated() where fds[slot].revents != 0 {
                clients[index].drain()
            }
        }
        return outcomes.map { $0 ?? .nothing }
    }

    // MARK: Internals

    private func takeLine() -> String? {
        guard let newline = received.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: received[..<newline], as: UTF8.self)
        received.removeSubrange(...newline)
        return line
    }

    /// Reads what is there without blocking; notes end of file or a reset.
    private func drain() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[0..<count])
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { peerClosed = true }
            return
        }
    }

    /// Polls for `events` until `deadline`; `false` if it passed first.
    private func poll(_ events: Int16, until deadline: ContinuousClock.Instant) throws -> Bool {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = Glibc.poll(&entry, 1, Int32(left.seconds * 1000) + 1)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { throw DriverError("poll: \(String(cString: strerror(errno)))") }
        }
    }
}
