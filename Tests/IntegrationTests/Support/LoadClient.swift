import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HTTP load on `127.0.0.1:port` from threads of its own, each with one request in flight at a
/// time, that records every request that fails and why: a connection refused or reset, a
/// request that cannot be sent, an answer that ends (or times out) before it is complete, a
/// status outside 2xx.
///
/// Plain blocking sockets (no NIO, no fork), every read and write bounded by
/// `requestTimeout`, so a thread never hangs. In ``Mode/keepAlive`` a thread reuses its
/// connection and opens a new one only when the server answered `Connection: close` (or a
/// request failed); in ``Mode/connectionPerRequest`` every request has a connection of its own.
/// ``Mode/lineAnswer`` is not HTTP: a request is a connection whose whole answer is one line
/// `pid PID …` (cotyledon-fixture's answerer).
///
/// ```swift
/// let load = LoadClient(port: port, threads: 8, mode: .keepAlive)
/// load.start()
/// // … operate on the daemon …
/// let report = try load.stop()
/// #expect(report.failures.isEmpty, "\(report)")
/// ```
final class LoadClient: @unchecked Sendable {
    // @unchecked: every mutable member is guarded by `condition`.

    /// How a thread uses connections.
    enum Mode: String, Sendable {
        /// HTTP/1.1 keep-alive: one connection for many requests.
        case keepAlive = "keep-alive"
        /// `Connection: close` on every request: one connection each.
        case connectionPerRequest = "connection-per-request"
        /// No HTTP: connect, read to the end of the connection, expect one line `pid PID …`.
        case lineAnswer = "one-line answer"
    }

    /// One request that did not get a complete 2xx answer.
    struct Failure: CustomStringConvertible, Sendable {
        /// The thread that made it (0-based).
        let thread: Int
        /// The request's number on that thread (1-based).
        let request: Int
        /// Whether it was the first request on its connection.
        let onNewConnection: Bool
        /// What went wrong.
        let reason: String
        /// CLOCK_MONOTONIC seconds when it was seen, to compare with the daemon's `mono=` fields.
        let at: Double

        var description: String {
            "thread \(thread) request \(request)\(onNewConnection ? " (new connection)" : "") at \(at): \(reason)"
        }
    }

    /// The counts so far, or at the end.
    struct Report: CustomStringConvertible, Sendable {
        /// Requests answered in full with a 2xx status.
        var successes = 0
        /// Answers that carried `Connection: close` (in keep-alive mode: the server ended the
        /// connection after them).
        var closedByServer = 0
        /// Connections opened.
        var connections = 0
        /// Requests begun (sent or about to be).
        var started = 0
        /// Every failed request.
        var failures: [Failure] = []
        /// Successful requests by the pid of the worker that answered (the `X-Worker-Pid`
        /// header, the answer line's pid), where the answer names one.
        var answeredBy: [Int32: Int] = [:]

        var description: String {
            "\(started) requests begun, \(successes) succeeded, \(failures.count) failed, "
                + "\(connections) connections, \(closedByServer) answers with Connection: close"
                + (failures.isEmpty ? "" : "; failures: " + failures.prefix(10).map(\.description).joined(separator: "; "))
        }
    }

    let port: Int
    let path: String
    let threads: Int
    let mode: Mode
    let requestTimeout: Duration

    private let condition = NSCondition()
    private var report = Report()
    private var isStopping = false
    private var running = 0
    private var isStarted = false

    /// A client for `GET path` on `127.0.0.1:port`; nothing happens before ``start()``.
    init(port: Int, path: String = "/", threads: Int, mode: Mode, requestTimeout: Duration = .seconds(10)) {
        self.port = port
        self.path = path
        self.threads = threads
        self.mode = mode
        self.requestTimeout = requestTimeout
    }

    /// Starts the threads (once).
    func start() {
        condition.lock()
        guard !isStarted else {
            condition.unlock()
            return
        }
        isStarted = true
        running = threads
        condition.unlock()
        for index in 0..<threads {
            let thread = Thread { [self] in
                run(thread: index)
                condition.lock()
                running -= 1
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "load client \(index)"
            thread.start()
        }
    }

    /// The counts so far.
    var snapshot: Report {
        condition.lock()
        defer { condition.unlock() }
        return report
    }

    /// Waits until `count` more requests than `snapshot.successes` was at `from` succeeded.
    /// - Throws: ``DriverError`` at the deadline, with the counts.
    @discardableResult
    func waitForSuccesses(_ count: Int, after from: Int, timeout: Duration = .seconds(30)) throws -> Report {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while report.successes < from + count {
            guard running > 0 else { throw DriverError("the load client stopped before \(count) more requests succeeded: \(report)") }
            guard condition.wait(until: deadline) else {
                throw DriverError("timed out after \(timeout) waiting for \(count) more successful requests: \(report)")
            }
        }
        return report
    }

    /// Asks every thread to begin no new request; returns at once. The requests in flight go on.
    func stopIssuing() {
        condition.lock()
        isStopping = true
        condition.unlock()
    }

    /// Stops issuing and waits for the requests in flight to end.
    /// - Returns: the final counts.
    /// - Throws: ``DriverError`` if a thread is still running after `timeout` (cannot happen
    ///   unless a request outlives its own timeouts).
    @discardableResult
    func stop(timeout: Duration = .seconds(60)) throws -> Report {
        stopIssuing()
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while running > 0 {
            guard condition.wait(until: deadline) else {
                throw DriverError("\(running) load client threads still running after \(timeout): \(report)")
            }
        }
        return report
    }

    // MARK: The threads

    private enum Outcome {
        case success(closed: Bool, pid: Int32?)
        case failure(String)
    }

    private func run(thread: Int) {
        var connection: Int32 = -1
        var number = 0
        defer { if connection >= 0 { close(connection) } }
        while true {
            condition.lock()
            let stopping = isStopping
            if !stopping { report.started += 1 }
            condition.unlock()
            if stopping { return }
            number += 1
            let isNew = connection < 0
            let outcome: Outcome
            if isNew {
                do {
                    connection = try LoopbackHTTPClient.connect(port: port, timeout: requestTimeout)
                    record { $0.connections += 1 }
                    outcome = request(on: connection)
                } catch {
                    outcome = .failure("\(error)")
                }
            } else {
                outcome = request(on: connection)
            }
            switch outcome {
            case .success(let closed, let pid):
                record {
                    $0.successes += 1
                    if closed { $0.closedByServer += 1 }
                    if let pid { $0.answeredBy[pid, default: 0] += 1 }
                }
                if closed || mode != .keepAlive {
                    close(connection)
                    connection = -1
                }
            case .failure(let reason):
                if connection >= 0 {
                    close(connection)
                    connection = -1
                }
                let failure = Failure(thread: thread, request: number, onNewConnection: isNew, reason: reason,
                                      at: Self.monotonicNow())
                record { $0.failures.append(failure) }
                // A refused connection fails at once: wait a little before the next one, so
                // a thread does not spin while nothing listens.
                usleep(20_000)
            }
        }
    }

    private func record(_ change: (inout Report) -> Void) {
        condition.lock()
        change(&report)
        condition.broadcast()
        condition.unlock()
    }

    /// Sends one request on `fd` and reads its answer (by `Content-Length`); in
    /// ``Mode/lineAnswer`` reads the answer line to the end of the connection.
    private func request(on fd: Int32) -> Outcome {
        if mode == .lineAnswer { return readLineAnswer(on: fd) }
        let closing = mode == .connectionPerRequest ? "Connection: close\r\n" : ""
        let bytes = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(closing)\r\n".utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .failure("send: \(Self.describe(errno))") }
            sent += count
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var head: (status: Int, closes: Bool, workerPid: Int32?, bodyStart: Int, length: Int)?
        while true {
            if let head, received.count >= head.bodyStart + head.length {
                guard (200..<300).contains(head.status) else {
                    let body = String(decoding: received[head.bodyStart...], as: UTF8.self)
                    return .failure("status \(head.status): \(body)")
                }
                guard received.count == head.bodyStart + head.length else {
                    return .failure("\(received.count - head.bodyStart - head.length) bytes after the answer")
                }
                return .success(closed: head.closes, pid: head.workerPid)
            }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let what = count == 0 ? "end of connection" : Self.describe(errno)
                return .failure("\(what) after \(received.count) bytes of the answer"
                    + (received.isEmpty ? "" : ": \(String(decoding: received.prefix(200), as: UTF8.self))"))
            }
            received.append(contentsOf: chunk[0..<count])
            if head == nil, let parsed = Self.parseHead(received) {
                guard let parsedHead = parsed else {
                    return .failure("not an HTTP answer: \(String(decoding: received.prefix(200), as: UTF8.self))")
                }
                head = parsedHead
            }
        }
    }

    /// Reads until the server closes the connection: one line `pid PID …` is a success.
    private func readLineAnswer(on fd: Int32) -> Outcome {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .failure("\(Self.describe(errno)) after \(received.count) bytes of the answer") }
            if count == 0 { break }
            received.append(contentsOf: chunk[0..<count])
        }
        let text = String(decoding: received, as: UTF8.self)
        let words = text.split(separator: " ")
        guard text.hasSuffix("\n"), text.firstIndex(of: "\n") == text.index(before: text.endIndex),
              words.count >= 2, words[0] == "pid", let pid = Int32(words[1])
        else {
            return .failure(received.isEmpty ? "end of connection before any answer" : "unexpected answer: \(text.prefix(200))")
        }
        return .success(closed: false, pid: pid)
    }

    /// The status, `Connection: close`, the `X-Worker-Pid` header, where the body starts and
    /// its length; `nil` while the head is incomplete, `.some(nil)` when it is not HTTP or has no
    /// `Content-Length`.
    private static func parseHead(_ bytes: [UInt8])
        -> (status: Int, closes: Bool, workerPid: Int32?, bodyStart: Int, length: Int)??
    {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else {
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let words = lines[0].split(separator: " ")
        guard words.count >= 2, words[0].hasPrefix("HTTP/1."), let status = Int(words[1]) else { return .some(nil) }
        var length: Int?
        var closes = false
        var workerPid: Int32?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) }
            if name == "connection" && value.lowercased() == "close" { closes = true }
            if name == "x-worker-pid" { workerPid = Int32(value) }
        }
        guard let length else { return .some(nil) }
        return (status, closes, workerPid, end + 4, length)
    }

    private static func describe(_ code: Int32) -> String {
        code == EAGAIN || code == EWOULDBLOCK ? "timed out" : String(cString: strerror(code))
    }

    private static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
