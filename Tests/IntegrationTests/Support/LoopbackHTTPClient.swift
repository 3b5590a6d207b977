import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client for servers on 127.0.0.1: one connection per request
/// (`Connection: close`), the answer read to the end of the connection, every step bounded by
/// a timeout.
enum LoopbackHTTPClient {
    /// One answer.
    struct Response {
        let status: Int
        /// Header names in lower case.
        let headers: [String: String]
        let body: String
        /// CLOCK_MONOTONIC seconds when the whole answer had arrived.
        let receivedAt: Double
    }

    /// A blocking TCP connection to `host:port` (an IPv4 literal, by default 127.0.0.1) whose
    /// reads and writes give up after `timeout`; the caller closes it.
    /// - Throws: ``DriverError`` when the socket cannot be made or the connection fails.
    static func connect(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(10)) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DriverError("socket: \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: Int(timeout.components.seconds),
                            tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw DriverError("not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = String(cString: strerror(errno))
            close(fd)
            throw DriverError("connect \(host):\(port): \(error)")
        }
        return fd
    }

    /// `GET path` on `127.0.0.1:port`.
    /// - Throws: ``DriverError`` when the connection fails, times out or the answer is not HTTP.
    static func get(port: Int, path: String, timeout: Duration = .seconds(10)) throws -> Response {
        let fd = try connect(port: port, timeout: timeout)
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw DriverError("send to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 {
                received.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw DriverError("GET \(path) on 127.0.0.1:\(port): \(String(cString: strerror(errno))) "
                    + "after \(received.count) bytes")
            }
        }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return try parse(received, receivedAt: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
    }

    private static func parse(_ bytes: [UInt8], receivedAt: Double) throws -> Response {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { throw DriverError("not an HTTP answer: \(text)") }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let statusWords = lines[0].split(separator: " ")
        guard statusWords.count >= 2, statusWords[0].hasPrefix("HTTP/1."), let status = Int(statusWords[1]) else {
            throw DriverError("not an HTTP status line: \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(text[end.upperBound...]), receivedAt: receivedAt)
    }
}
