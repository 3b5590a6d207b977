import Glibc
import Testing
@testable import Cotyledon

/// The notify socket against a receiver bound in the test process: no daemon, no fork.
@Suite struct NotifyConnectionTests {
    /// A unix datagram socket standing in for the service manager's, read on demand.
    final class Receiver {
        let descriptor: Int32

        init(sunPath: [UInt8]) throws {
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: sunPath) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + sunPath.count + (sunPath.first == 0 ? 0 : 1))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            try #require(descriptor >= 0 && bound == 0, "bind: \(String(cString: strerror(errno)))")
        }

        deinit { close(descriptor) }

        /// The next waiting datagram, or `nil` when none waits.
        func read() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count < 0 ? nil : String(decoding: buffer.prefix(count), as: UTF8.self)
        }
    }

    static func uniqueName() -> String {
        "cotyledon-notify-unit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    @Test("a full receiver makes a send report wouldBlock, never wait; reading makes room", .timeLimit(.minutes(1)))
    func fullReceiverWouldBlock() throws {
        let name = Self.uniqueName()
        let receiver = try Receiver(sunPath: [0] + Array(name.utf8))
        let connection = try NotifyConnection(address: NotifySocketAddress("@\(name)"))
        var sent = 0
        while connection.send("STATUS=\(sent)") == .sent, sent < 10_000 { sent += 1 }
        // The kernel queues net.unix.max_dgram_qlen (10 by default) datagrams, then refuses.
        #expect(sent > 0 && sent < 10_000, "sent \(sent) before the receiver was full")
        #expect(connection.send("READY=1") == .wouldBlock)
        #expect(receiver.read() == "STATUS=0")
        #expect(connection.send("READY=1") == .sent)
        var received: [String] = []
        while let datagram = receiver.read() { received.append(datagram) }
        #expect(received == (1..<sent).map { "STATUS=\($0)" } + ["READY=1"])
    }

    @Test("the socket is non-blocking and close-on-exec")
    func socketFlags() throws {
        let connection = try NotifyConnection(address: NotifySocketAddress("@\(Self.uniqueName())"))
        #expect(fcntl(connection.descriptor.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(connection.descriptor.rawValue, F_GETFL) & O_NONBLOCK != 0)
    }

    @Test("a receiver replaced at the same path gets the next datagram: the socket connects again")
    func reconnectsToAReplacedReceiver() throws {
        let path = "/tmp/\(Self.uniqueName()).sock"
        defer { unlink(path) }
        var receiver = try Receiver(sunPath: Array(path.utf8))
        let connection = try NotifyConnection(address: NotifySocketAddress(path))
        #expect(connection.send("READY=1") == .sent)
        #expect(receiver.read() == "READY=1")
        unlink(path)
        receiver = try Receiver(sunPath: Array(path.utf8))
        #expect(connection.send("RELOADING=1") == .sent)
        #expect(receiver.read() == "RELOADING=1")
    }

    @Test("no socket at the address: the send fails with the reason")
    func missingReceiverFails() throws {
        let connection = try NotifyConnection(address: NotifySocketAddress("/nonexistent/notify.sock"))
        guard case .failed(let reason) = connection.send("READY=1") else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("connect"), "\(reason)")
    }
}
