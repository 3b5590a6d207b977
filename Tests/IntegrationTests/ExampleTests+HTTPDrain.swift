import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ExampleTests {
    @Test("http-daemon drain: the request in flight is answered whole with Connection: close and the request pipelined behind it is not; an idle keep-alive connection is closed; the worker exits 0",
          .timeLimit(.minutes(1)))
    func httpDaemonDrainsPipelinedAndIdleConnections() throws {
        let listener = try ListeningSocket()
        defer { listener.close() }
        let driver = try Driver()
        defer { driver.close() }
        let daemon = try Self.spawnSocketActivatedHTTPDaemon(driver: driver, listener: listener, arguments: ["--workers", "1"])
        _ = try daemon.waitForEvent("http-serving", timeout: .seconds(30))

        // An idle keep-alive connection: one request answered, nothing more sent.
        let idle = try LoopbackHTTPClient.connect(port: listener.port)
        defer { close(idle) }
        try Self.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n", to: idle)
        let first = try Self.readResponses(from: idle, count: 1)
        #expect(first.responses.count == 1 && first.responses[0].closes == false, "\(first)")

        // Two requests in one write: the second waits in the server's pipeline.
        let pipelined = try LoopbackHTTPClient.connect(port: listener.port)
        defer { close(pipelined) }
        let mark = daemon.cursor
        try Self.send("GET /slow?ms=1000 HTTP/1.1\r\nHost: test\r\n\r\nGET / HTTP/1.1\r\nHost: test\r\n\r\n", to: pipelined)
        _ = try daemon.waitForEvent("slow-request", from: mark)
        try driver.signal(daemon.pid, SIGTERM)

        let answered = try Self.readResponses(from: pipelined, count: nil)
        #expect(answered.endedByServer, "the connection was closed after the answer: \(answered)")
        #expect(answered.responses.count == 1, "only the request in flight is answered: \(answered)")
        #expect(answered.responses.first?.status == 200 && answered.responses.first?.closes == true,
                "answered whole, with Connection: close: \(answered)")
        #expect(answered.responses.first?.body.contains("1000 ms later") == true, "\(answered)")

        let idleEnd = try Self.readResponses(from: idle, count: nil)
        #expect(idleEnd.endedByServer && idleEnd.responses.isEmpty, "the idle connection was closed, unanswered: \(idleEnd)")

        _ = try daemon.waitForExit(timeout: .seconds(30))
        let drained = try #require(daemon.events("http-drained").first, "\(daemon.tail)")
        #expect(drained.fields["connections"] == "2" && drained.fields["forced"] == "0", "\(drained)")
        #expect(daemon.events("worker-exited").map { $0.fields["status"] } == ["exited:0"], "\(daemon.tail)")
        #expect(daemon.events("master-exit").last?.fields["status"] == "0", "\(daemon.tail)")
        try driver.expectCleanEnd()
    }

    /// One complete answer read off a connection.
    struct RawResponse: CustomStringConvertible {
        let status: Int
        /// It carried `Connection: close`.
        let closes: Bool
        let body: String

        var description: String { "\(status)\(closes ? " (Connection: close)" : ""): \(body)" }
    }

    /// What a connection delivered: whole answers, and whether the server ended the connection.
    struct RawExchange: CustomStringConvertible {
        var responses: [RawResponse] = []
        var endedByServer = false
        /// Bytes after the last whole answer.
        var rest: [UInt8] = []

        var description: String {
            "\(responses)\(endedByServer ? ", then end of connection" : "")"
                + (rest.isEmpty ? "" : ", then \(rest.count) bytes: \(String(decoding: rest, as: UTF8.self))")
        }
    }

    static func send(_ text: String, to fd: Int32) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw DriverError("send: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads `count` whole answers (by `Content-Length`), or, with `count` `nil`, until the
    /// server ends the connection. The socket's own timeouts bound every read.
    static func readResponses(from fd: Int32, count: Int?) throws -> RawExchange {
        var exchange = RawExchange()
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while count.map({ exchange.responses.count < $0 }) ?? true {
            while let (response, used) = parse(buffer) {
                exchange.responses.append(response)
                buffer.removeFirst(used)
            }
            if let count, exchange.responses.count >= count { break }
            let received = recv(fd, &chunk, chunk.count, 0)
            if received < 0 && errno == EINTR { continue }
            if received < 0 {
                throw DriverError("recv: \(String(cString: strerror(errno))) after \(exchange)")
            }
            if received == 0 {
                exchange.endedByServer = true
                break
            }
            buffer.append(contentsOf: chunk[0..<received])
        }
        exchange.rest = buffer
        return exchange
    }

    /// The first whole answer of `bytes` and how many bytes it took.
    private static func parse(_ bytes: [UInt8]) -> (RawResponse, Int)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let headBytes = text[..<end.upperBound].utf8.count
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let words = lines[0].split(separator: " ")
        guard words.count >= 2, let status = Int(words[1]) else { return nil }
        var length = 0
        var closes = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0].lowercased() == "content-length" { length = Int(parts[1]) ?? 0 }
            if parts[0].lowercased() == "connection" && parts[1].lowercased() == "close" { closes = true }
        }
        guard bytes.count >= headBytes + length else { return nil }
        let body = String(decoding: bytes[headBytes..<headBytes + length], as: UTF8.self)
        return (RawResponse(status: status, closes: closes, body: body), headBytes + length)
    }
}
