import Glibc

/// A unix datagram socket standing in for systemd's notify socket: a daemon started with
/// `NOTIFY_SOCKET=<path>` sends its `sd_notify` datagrams here, read with deadlines.
final class NotifySocket {
    /// One datagram and when it was read (CLOCK_MONOTONIC seconds).
    struct Datagram: CustomStringConvertible {
        let text: String
        let time: Double
        /// Descriptors that came with it (`SCM_RIGHTS`, as `FDSTORE=1` sends them): the
        /// test's own, closed when the socket is.
        var descriptors: [Int32] = []

        /// The `KEY=VALUE` assignments, by key.
        var fields: [String: String] {
            var result: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return result
        }

        var description: String {
            text.split(separator: "\n").joined(separator: "\\n") + (descriptors.isEmpty ? "" : " fds \(descriptors)")
        }
    }

    /// The address to put in `NOTIFY_SOCKET`: a path, or `@name` in the abstract namespace.
    let path: String
    private let descriptor: Int32
    /// Every datagram read so far, in order.
    private(set) var received: [Datagram] = []

    /// Binds a socket at `path` (a fresh file under /tmp by default; `@name` for the abstract namespace).
    init(path: String = "/tmp/cotyledon-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock") throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DriverError("socket: \(String(cString: strerror(errno)))") }
        let isAbstract = path.hasPrefix("@")
        // An abstract name starts with a NUL and is as long as the address says.
        let pathBytes = isAbstract ? [0] + Array(path.utf8.dropFirst()) : Array(path.utf8)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in pathBytes.enumerated() { bytes[index] = byte }
        }
        let length = isAbstract ? MemoryLayout<sa_family_t>.size + pathBytes.count : MemoryLayout<sockaddr_un>.size
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(length))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw DriverError("bind \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        for datagram in received { datagram.descriptors.forEach { close($0) } }
        close(descriptor)
        if !path.hasPrefix("@") { unlink(path) }
    }

    /// Reads datagrams until one satisfies `predicate`, which it returns; fails at the deadline.
    @discardableResult
    func waitFor(_ description: String, timeout: Duration = .seconds(10),
                 where predicate: (Datagram) -> Bool) throws -> Datagram {
        let deadline = Self.now() + Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        while true {
            let remaining = deadline - Self.now()
            guard remaining > 0 else {
                throw DriverError("timed out waiting for datagram: \(description); received: \(received)")
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let (count, descriptors) = DescriptorPassing.receive(descriptor, into: &buffer)
            guard count > 0 else { continue }
            let datagram = Datagram(text: String(decoding: buffer[0..<count], as: UTF8.self), time: Self.now(), descriptors: descriptors)
            received.append(datagram)
            if predicate(datagram) { return datagram }
        }
    }

    /// Reads the datagrams waiting now, without waiting for more.
    /// - Returns: what it read, also appended to ``received``.
    @discardableResult
    func readWaiting() -> [Datagram] {
        var read: [Datagram] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let (count, descriptors) = DescriptorPassing.receive(descriptor, into: &buffer, flags: Int32(MSG_DONTWAIT))
            guard count >= 0 else { break }
            read.append(Datagram(text: String(decoding: buffer[0..<count], as: UTF8.self), time: Self.now(), descriptors: descriptors))
        }
        received += read
        return read
    }

    /// CLOCK_MONOTONIC seconds, comparable with the daemons' `mono=` fields.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
