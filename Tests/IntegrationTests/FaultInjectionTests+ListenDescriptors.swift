import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// Socket activation handing descriptors that are not sockets.
    @Suite
    struct ListenDescriptors {
        @Test("LISTEN_FDS=3 with a regular file, a FIFO and /dev/null: each refused with listen-fd-refused naming fd and kind, closed, not handed to workers; the echo worker binds its own port",
              .timeLimit(.minutes(1)))
        func nonSocketsAreRefused() throws {
            let base = NSTemporaryDirectory() + "cotyledon-listen-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let file = base + ".txt"
            let fifo = base + ".fifo"
            try "not a socket\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(mkfifo(fifo, 0o600) == 0)
            defer {
                unlink(file)
                unlink(fifo)
            }
            let port = try ReservedPort()
            let driver = try Driver()
            defer { driver.close() }
            // The shell opens the descriptors, names itself in LISTEN_PID and becomes the demo.
            let script = "exec 3< \"$0\" 4<> \"$1\" 5< /dev/null; export LISTEN_PID=$$; shift; exec \"$@\""
            let demo = try driver.spawn(
                path: "/bin/sh",
                argv: ["sh", "-c", script, file, fifo, try BuildProducts.path(of: "cotyledon-demo"),
                       "--workers", "1", "--echo-workers", "1", "--echo-port", "\(port.number)", "--control-socket", "none"],
                environment: ["LISTEN_FDS=3", "LISTEN_FDNAMES=file:fifo:null"])
            let refused = try demo.waitForEvents("listen-fd-refused", count: 3)
            let kinds = Dictionary(uniqueKeysWithValues: refused.map { ($0.fields["fd"] ?? "?", $0.fields["kind"] ?? "?") })
            #expect(kinds == ["3": "regular-file", "4": "pipe", "5": "character-device"], "\(refused)")
            #expect(refused.map { $0.fields["name"] } == ["file", "fifo", "null"], "\(refused)")
            #expect(refused.allSatisfy { $0.pid == demo.pid && $0.level == "warning" }, "\(refused)")
            let ready = try demo.waitForEvents("worker-ready", count: 2)
            _ = try demo.waitForEvent("all-ready")
            #expect(demo.events("listeners").isEmpty, "no socket was inherited; log:\n\(demo.tail)")
            let echo = try #require(ready.first { $0.fields["service"] == "echo" }?.subjectPid)
            for pid in [demo.pid, echo] {
                let table = try FileDescriptorTable(pid: pid)
                #expect(!table.targets.values.contains(file) && !table.targets.values.contains(fifo),
                        "process \(pid) does not hold the refused file or FIFO: \(table)")
            }
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        static let socketActivate = "/usr/bin/systemd-socket-activate"

        /// systemd-socket-activate binds the socket and, at the first connection, becomes the
        /// shell that moves the socket to descriptor 4, puts a regular file at 3 and becomes the demo.
        @Test("LISTEN_FDS=2, a regular file at 3 and a listening socket at 4: the file is refused, the echo worker serves the socket and holds no copy of the file",
              .enabled(if: FileManager.default.isExecutableFile(atPath: socketActivate), "needs systemd-socket-activate"),
              .timeLimit(.minutes(1)))
        func socketAfterARefusedFileIsServed() throws {
            let file = NSTemporaryDirectory() + "cotyledon-listen-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
            try "not a socket\n".write(toFile: file, atomically: true, encoding: .utf8)
            defer { unlink(file) }
            let reserved = try ReservedPort()
            let port = reserved.number
            reserved.release()
            let driver = try Driver()
            defer { driver.close() }
            let script = "exec 4<&3 3< \"$0\"; export LISTEN_FDS=2 LISTEN_FDNAMES=file:echo; exec \"$@\""
            let demo = try driver.spawn(
                path: Self.socketActivate,
                argv: ["systemd-socket-activate", "--listen=127.0.0.1:\(port)", "/bin/sh", "-c", script, file,
                       try BuildProducts.path(of: "cotyledon-demo"), "--workers", "1", "--echo-workers", "1",
                       "--control-socket", "none"])
            _ = try demo.waitForLine("systemd-socket-activate listening") { $0.text.hasPrefix("Listening on") }
            let client = try LoopbackHTTPClient.connect(port: port)
            defer { close(client) }
            let refused = try demo.waitForEvent("listen-fd-refused")
            #expect(refused.fields["fd"] == "3" && refused.fields["kind"] == "regular-file" && refused.fields["name"] == "file",
                    "\(refused)")
            let listeners = try demo.waitForEvent("listeners")
            #expect(listeners.fields["names"] == "echo", "\(listeners)")
            let greeting = try Self.readLine(from: client)
            let echo = try #require(try demo.waitForEvent("worker-ready") { $0.fields["service"] == "echo" }.subjectPid)
            #expect(greeting == "echo worker(0) pid \(echo)", "the pending connection was accepted on the passed socket")
            let table = try FileDescriptorTable(pid: echo)
            #expect(table.targets[4]?.hasPrefix("socket:[") == true, "the socket stays at 4: \(table)")
            #expect(!table.targets.values.contains(file), "the refused file is not in the worker: \(table)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        /// The first line `fd` receives, without its newline.
        static func readLine(from fd: Int32) throws -> String {
            var received: [UInt8] = []
            var byte: UInt8 = 0
            while !received.contains(UInt8(ascii: "\n")) {
                let count = recv(fd, &byte, 1, 0)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { throw DriverError("no line received: \(String(decoding: received, as: UTF8.self))") }
                received.append(byte)
            }
            return String(decoding: received.dropLast(), as: UTF8.self)
        }
    }
}
