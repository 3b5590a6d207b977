import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.UpgradeTests {
    /// The master's descriptors a worker may share: its service's listener, the master-alive
    /// pipe's read end, and the write end of its own message pipe (whose read end the master
    /// holds). Anything else it shares with the master is a leak: the master-alive pipe's
    /// write end (the worker would never see the master die), another listener, the control
    /// socket, a memory file, a pidfd.
    static func leaks(ofWorker pid: Int32, master: [OpenDescriptor], alive: String, listener: String) throws
        -> (leaks: [OpenDescriptor], aliveReadEnds: Int)
    {
        let held = Dictionary(grouping: master.filter { $0.fd > 2 && !$0.isAnonymous }, by: \.identity)
        var leaks: [OpenDescriptor] = []
        var aliveReadEnds = 0
        for descriptor in try OpenDescriptor.all(of: pid) where descriptor.fd > 2 {
            if descriptor.target == "anon_inode:[pidfd]" || descriptor.target == "anon_inode:[signalfd]" {
                leaks.append(descriptor)
                continue
            }
            guard let masters = held[descriptor.identity] else { continue }
            if descriptor.identity == alive {
                if descriptor.access == O_RDONLY { aliveReadEnds += 1 } else { leaks.append(descriptor) }
            } else if descriptor.identity == listener {
                continue
            } else if descriptor.target.hasPrefix("pipe:"), descriptor.access == O_WRONLY,
                      masters.allSatisfy({ $0.access == O_RDONLY }) {
                continue // its message pipe
            } else {
                leaks.append(descriptor)
            }
        }
        return (leaks, aliveReadEnds)
    }

    @Test("after an upgrade no worker, adopted or new, and no check run holds the master-alive pipe's write end, another listener or the control socket",
          .timeLimit(.minutes(2)))
    func noWorkerNorCheckHoldsTheMastersDescriptors() throws {
        let driver = try Driver()
        defer { driver.close() }
        let file = try ConfigurationFixture()
        // The answerer serves http only; admin stands for another service's listener. The long
        // readiness timeout keeps the adopted workers while the new image's never-ready
        // replacement waits.
        try file.write("services:\n  answerer:\n    workers: 2\n    readiness_timeout: 60\n    listeners: [http]\n")
        let daemon = try Daemon(driver: driver, configuration: file.path, listen: ["http=127.0.0.1:0", "admin=127.0.0.1:0"])
        let master = daemon.process.pid
        let before = try OpenDescriptor.all(of: master)
        // The master-alive pipe: the one pipe whose write end the master holds above 0-2.
        let written = Set(before.filter { $0.fd > 2 && $0.target.hasPrefix("pipe:") && $0.access == O_WRONLY }.map(\.identity))
        try #require(written.count == 1, "one pipe written by the master: \(before)")
        let alive = written.first!
        let sockets = Set(before.filter { $0.fd > 2 && $0.target.hasPrefix("socket:") }.map(\.identity))
        #expect(sockets.count >= 3, "http, admin and the control socket: \(before)")

        // The old workers' listener, as they report it (`listeners=http:FD`).
        let old = try daemon.status().pids
        try #require(old.count == 2, "\(old)")
        let started = try old.mapValues { try ProcStatus.startTime(of: $0) }
        var listener = ""
        for pid in old.values {
            let line = try daemon.process.waitForLine("worker \(pid) listening") {
                $0.text.hasPrefix("answerer listening ") && $0.text.contains(" pid=\(pid) ")
            }
            let fd = try #require(line.text.split(separator: " ").last?.split(separator: ":").last.flatMap { Int32($0) }, "\(line)")
            let descriptor = try #require(try OpenDescriptor.all(of: pid).first { $0.fd == fd }, "worker \(pid) fd \(fd)")
            #expect(sockets.contains(descriptor.identity), "worker \(pid)'s listener is the master's: \(descriptor)")
            listener = descriptor.identity
        }

        // The check waits on a FIFO the test holds; the new image's workers never report ready,
        // so the adopted ones stay.
        let real = driver.runtimeDirectory + "/answerer-real"
        try Deployment.install(copyOf: daemon.executable, at: real)
        let fifo = driver.runtimeDirectory + "/go.fifo"
        guard mkfifo(fifo, 0o600) == 0 else { throw DriverError("mkfifo: \(String(cString: strerror(errno)))") }
        try daemon.replaceExecutable(withScript: """
            if [ -z "$COTYLEDON_UPGRADE_STATE" ]; then read line < '\(fifo)'; exec '\(real)' "$@"; fi
            exec '\(real)' "$@" --never-ready
            """)
        let mark = daemon.process.cursor
        try driver.signal(master, SIGUSR2)
        let check = try #require(try daemon.process.waitForEvent("upgrade-requested", from: mark).subjectPid)
        // Once the check run is the shell, its descriptors are the ones the master let it have.
        let shell = URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path
        try ProcStatus.waitUntil("the check run \(check) runs \(shell)", timeout: .seconds(10)) {
            (try? ProcStatus.executable(of: check)) == shell
        }
        let masterDuringCheck = try OpenDescriptor.all(of: master)
        let checkDescriptors = try OpenDescriptor.all(of: check)
        let masters = Set(masterDuringCheck.filter { !$0.isAnonymous }.map(\.identity))
        let output = try #require(checkDescriptors.first { $0.fd == 1 }, "\(checkDescriptors)")
        #expect(masters.contains(output.identity), "the check's stdout is the pipe the master reads: \(checkDescriptors)")
        let shared = checkDescriptors.filter { $0.fd > 2 && (masters.contains($0.identity) || $0.target.hasPrefix("anon_inode:")) }
        #expect(shared.isEmpty, "the check run holds nothing of the master's but 0-2: \(shared)\nmaster: \(masterDuringCheck)")

        let writer = open(fifo, O_RDWR)
        defer { close(writer) }
        guard writer >= 0, write(writer, "go\n", 3) == 3 else { throw DriverError("writing \(fifo) failed") }
        let adopted = try daemon.process.waitForEvent("upgrade-adopted", from: mark, timeout: .seconds(30))
        #expect(adopted.fields["workers"] == "2", "\(adopted)")
        let never = try daemon.process.waitForLine("the new image's worker", from: mark, timeout: .seconds(30)) {
            $0.stream == "stdout" && $0.text.hasPrefix("answerer never ready ")
        }
        let new = try #require(never.text.split(separator: " ").last.flatMap { Int32($0.dropFirst("pid=".count)) }, "\(never.text)")

        // The new worker may print before the master, back from the fork, closed its copy of
        // the worker's message pipe's write end: read the master's table once it holds both
        // ends of no pipe but the master-alive one.
        var after = try OpenDescriptor.all(of: master)
        try ProcStatus.waitUntil("the master holds both ends of no pipe of a worker", timeout: .seconds(10)) {
            after = try OpenDescriptor.all(of: master)
            let writeEnds = Set(after.filter { $0.access == O_WRONLY && $0.identity != alive }.map(\.identity))
            return !after.contains { $0.access == O_RDONLY && writeEnds.contains($0.identity) }
        }
        #expect(after.contains { $0.identity == alive && $0.access == O_WRONLY }, "the master-alive pipe crossed the execve: \(after)")
        for (label, pid) in old.map({ ("adopted worker \($0.key)", $0.value) }) + [("new worker", new)] {
            let found = try Self.leaks(ofWorker: pid, master: after, alive: alive, listener: listener)
            #expect(found.aliveReadEnds == 1, "\(label) [\(pid)] holds the master-alive pipe's read end once")
            #expect(found.leaks.isEmpty, "\(label) [\(pid)] holds the master's \(found.leaks)\nmaster: \(after)")
        }
        #expect(try old.mapValues { try ProcStatus.startTime(of: $0) } == started,
                "the adopted workers are still there, so what was read was theirs")
        try daemon.process.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }
}
