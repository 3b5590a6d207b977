import Glibc
import SystemPackage
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

        /// The next waiting datagram and the descriptors that came with it (`recvmsg`,
        /// `SCM_RIGHTS`, close-on-exec), or `nil` when none waits.
        func readWithDescriptors() -> (text: String, descriptors: [Int32])? {
            var bytes = [UInt8](repeating: 0, count: 4096)
            let headerSize = MemoryLayout<cmsghdr>.size
            var control = [UInt8](repeating: 0, count: headerSize + 8 * MemoryLayout<Int32>.size)
            var controlLength = 0
            let count = bytes.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        let received = recvmsg(descriptor, &message, Int32(MSG_CMSG_CLOEXEC))
                        controlLength = message.msg_controllen
                        return received
                    }
                }
            }
            guard count >= 0 else { return nil }
            var descriptors: [Int32] = []
            if controlLength >= headerSize {
                let (length, level, type) = control.withUnsafeBytes {
                    ($0.load(as: Int.self), $0.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self),
                     $0.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self))
                }
                if level == SOL_SOCKET, type == Int32(SCM_RIGHTS) {
                    for index in 0..<(length - headerSize) / 4 {
                        descriptors.append(control.withUnsafeBytes { $0.load(fromByteOffset: headerSize + index * 4, as: Int32.self) })
                    }
                }
            }
            return (String(decoding: bytes.prefix(count), as: UTF8.self), descriptors)
        }

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

    @Test("a datagram passes a copy of a descriptor (SCM_RIGHTS); the sender keeps its own", .timeLimit(.minutes(1)))
    func passesADescriptor() throws {
        let name = Self.uniqueName()
        let receiver = try Receiver(sunPath: [0] + Array(name.utf8))
        let connection = try NotifyConnection(address: NotifySocketAddress("@\(name)"))
        let pipe = try Syscall.pipe()
        defer { Syscall.close(pipe.readEnd) }
        #expect(connection.send("FDSTORE=1\nFDNAME=cotyledon.store.http", passing: [pipe.writeEnd]) == .sent)
        let received = try #require(receiver.readWithDescriptors())
        #expect(received.text == "FDSTORE=1\nFDNAME=cotyledon.store.http")
        let passed = try #require(received.descriptors.first, "one descriptor came with the datagram")
        #expect(received.descriptors.count == 1)
        #expect(passed != pipe.writeEnd.rawValue, "the receiver holds a descriptor of its own")
        // The copy is the same pipe: what is written to it comes out of the read end.
        #expect(write(passed, "x", 1) == 1)
        close(passed)
        #expect(fcntl(pipe.writeEnd.rawValue, F_GETFD) >= 0, "the sender still holds its descriptor")
        #expect(write(pipe.writeEnd.rawValue, "y", 1) == 1)
        Syscall.close(pipe.writeEnd)
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(Glibc.read(pipe.readEnd.rawValue, &buffer, 4) == 2)
        #expect(Array(buffer.prefix(2)) == Array("xy".utf8))
    }

    @Test("a full receiver makes a send with a descriptor report wouldBlock; nothing is passed until it is sent",
          .timeLimit(.minutes(1)))
    func aFullReceiverRefusesADescriptorWithoutWaiting() throws {
        let name = Self.uniqueName()
        let receiver = try Receiver(sunPath: [0] + Array(name.utf8))
        let connection = try NotifyConnection(address: NotifySocketAddress("@\(name)"))
        var sent = 0
        while connection.send("STATUS=\(sent)") == .sent, sent < 10_000 { sent += 1 }
        let pipe = try Syscall.pipe()
        defer {
            Syscall.close(pipe.readEnd)
            Syscall.close(pipe.writeEnd)
        }
        #expect(connection.send("FDSTORE=1\nFDNAME=x", passing: [pipe.writeEnd]) == .wouldBlock)
        #expect(receiver.read() == "STATUS=0")
        #expect(connection.send("FDSTORE=1\nFDNAME=x", passing: [pipe.writeEnd]) == .sent)
        var last: (text: String, descriptors: [Int32])?
        while let datagram = receiver.readWithDescriptors() { last = datagram }
        #expect(last?.text == "FDSTORE=1\nFDNAME=x")
        #expect(last?.descriptors.count == 1)
        last?.descriptors.forEach { close($0) }
    }
}
