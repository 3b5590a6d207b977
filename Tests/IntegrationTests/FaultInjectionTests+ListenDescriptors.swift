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
    }
}
