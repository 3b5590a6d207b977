import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// Hostile control clients and a hostile file system around the control socket: what is at
    /// the socket's path, who owns its directory, clients that flood, half-close or trickle.
    @Suite
    struct ControlClients {
        private static let statusRequest = #"{"v":1,"command":"status"}"# + "\n"

        @Test("--control-socket on a regular file, a directory or the configuration: exit 70 naming it, nothing removed",
              .timeLimit(.minutes(1)))
        func controlSocketPathIsNeverClobbered() throws {
            let config = try ConfigurationFixture()
            let configuration = ConfigurationFixture.printer(workers: 1)
            try config.write(configuration)
            let socket = try ControlSocketFixture()
            let precious = socket.directory + "/precious.txt"
            try "important\n".write(toFile: precious, atomically: false, encoding: .utf8)
            let directory = socket.directory + "/a-directory"
            #expect(mkdir(directory, 0o700) == 0)
            let driver = try Driver()
            defer { driver.close() }

            for path in [precious, directory, config.path] {
                let demo = try driver.spawn("cotyledon-demo", ["--config", config.path, "--control-socket", path])
                let exit = try demo.waitForExit(timeout: .seconds(15))
                #expect(exit.status == .exited(70), "\(path): \(demo.tail)")
                #expect(demo.text(of: "stderr").contains("\(path) exists and is not a socket"), "\(demo.tail)")
                #expect(demo.events("worker-started").isEmpty, "nothing forked: \(demo.tail)")
            }
            #expect(try String(contentsOfFile: precious, encoding: .utf8) == "important\n")
            #expect(try String(contentsOfFile: config.path, encoding: .utf8) == configuration)
            var status = stat()
            #expect(lstat(directory, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR)
            try driver.expectCleanEnd()
        }

        @Test("a master exiting leaves alone the socket another master created at its path since",
              .timeLimit(.minutes(1)))
        func exitingMasterKeepsAnotherMastersSocket() throws {
            let config = try ConfigurationFixture()
            try config.write(ConfigurationFixture.printer(workers: 1))
            let socket = try ControlSocketFixture()
            let driver = try Driver()
            defer { driver.close() }
            let first = try DaemonSuite.ControlSocketTests.startDemo(driver, config: config, socket: socket)
            // The first master's socket file disappears (an operator, a cleaner of /tmp); a
            // second master then serves the same path.
            #expect(unlink(socket.path) == 0)
            let second = try DaemonSuite.ControlSocketTests.startDemo(driver, config: config, socket: socket)

            try driver.signal(first.pid, SIGTERM)
            #expect(try first.waitForExit(timeout: .seconds(15)).status == .exited(0), "\(first.tail)")
            _ = try first.waitForEvent("master-exit")
            let status = try driver.control(socket: socket.path, ["--json", "status"])
            #expect(status.status == .exited(0) && status.json?["pid"] as? Int == Int(second.pid),
                    "the second master still serves its socket: \(status)")
            try second.stopAndExpectCleanExit()
            var gone = stat()
            #expect(lstat(socket.path, &gone) != 0, "the second master removed its own socket at exit")
            try driver.expectCleanEnd()
        }

        @Test("default socket directory made by another user (0777): the daemon refuses it with exit 70, cotyledonctl refuses its fake socket with exit 77",
              .timeLimit(.minutes(1)))
        func foreignSocketDirectoryIsRefused() throws {
            try #require(getuid() == 0, "needs root to run the daemon and cotyledonctl as uid 65534")
            let user: uid_t = 65534
            // The default of a daemon running as `user` without XDG_RUNTIME_DIR or RUNTIME_DIRECTORY.
            let directory = "/tmp/cotyledon-demo-\(user)"
            try? FileManager.default.removeItem(atPath: directory)
            #expect(mkdir(directory, 0o777) == 0 && chmod(directory, 0o777) == 0 && chown(directory, user - 1, user - 1) == 0)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["RUNTIME_DIRECTORY=", "XDG_RUNTIME_DIR="]
            let driver = try Driver()
            defer { driver.close() }

            let demo = try driver.spawn(path: "/usr/bin/setpriv", argv: [
                "setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups",
                try BuildProducts.path(of: "cotyledon-demo"), "--workers", "1",
            ], environment: environment)
            let exit = try demo.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(70), "\(demo.tail)")
            #expect(demo.text(of: "stderr").contains("\(directory) is owned by uid \(user - 1)"), "\(demo.tail)")
            #expect(demo.events("worker-started").isEmpty, "nothing forked: \(demo.tail)")

            // The other user's fake daemon in that directory.
            let fake = try ScriptedControlServer(path: directory + "/control.sock",
                                                 script: .reply(#"{"v":1,"ok":true,"pid":4242,"phase":"running","services":[]}"# + "\n"))
            defer { fake.stop() }
            #expect(chmod(fake.path, 0o666) == 0)
            let run = try driver.control(socket: nil, ["--json", "status"], environment: environment, asUser: Int(user))
            #expect(run.status == .exited(77), "\(run)")
            #expect(run.stderr.contains(directory) && run.stderr.contains("refusing"), "\(run)")
            #expect(!run.stdout.contains("4242"), "the fake answer is not printed: \(run)")
            try driver.expectCleanEnd()
        }

        @Test("2 clients pipeline 2000 status requests each without reading (50 workers): a worker killed meanwhile is respawned while they are served; all answered, memory bounded",
              .timeLimit(.minutes(3)))
        func pipelinedFloodDoesNotStallSupervision() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 50))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
            let victim = try #require(demo.liveWorkers()[0])
            let residentBefore = try ProcStatus.residentKiB(of: demo.pid)

            let requests = 2000
            let flooders = try (0..<2).map { _ in
                try PipeliningClient(path: socket.path, request: Self.statusRequest, count: requests)
            }
            for flooder in flooders { try flooder.sendWhatFits() }
            let mark = demo.cursor
            try driver.signal(victim, SIGKILL)
            let respawn = try demo.waitForEvent("worker-started", from: mark, timeout: .seconds(30)) { $0.worker == 0 }
            #expect(respawn.fields["respawn"] == "true", "\(respawn)")
            let respawned = try #require(respawn.subjectPid)
            let residentDuring = try ProcStatus.residentKiB(of: demo.pid)

            // Now read: every request is answered, some of them after the respawn.
            for flooder in flooders {
                let outcome = try flooder.finish(marker: Array("\"pid\":\(respawned),".utf8), timeout: .seconds(60))
                #expect(outcome.answers == requests && outcome.failures == 0 && !outcome.closedEarly, "\(outcome)")
                #expect(outcome.answersWithMarker > 0,
                        "no answer lists the respawned worker \(respawned): the flood was over before the respawn (\(outcome))")
            }
            let grown = residentDuring - residentBefore
            #expect(grown < 32 * 1024, "the master's RSS grew by \(grown) KiB during the flood")
            try DaemonSuite.ControlSocketTests.expectStatus(try driver.control(socket: socket.path, ["--json", "status"]),
                                                            matches: demo, driver: driver, count: 50)
            try demo.stopAndExpectCleanExit(timeout: .seconds(30))
            try driver.expectCleanEnd()
        }

        @Test("a client half-closes after pipelining requests it never reads: no spinning, closed when idle; half-closed clients still get their answers",
              .timeLimit(.minutes(1)))
        func halfClosedClientDoesNotSpin() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            // End of input at once: closed.
            let mute = try UnixStreamClient(path: socket.path)
            #expect(shutdown(mute.descriptor, Int32(SHUT_WR)) == 0)
            #expect(try mute.read(within: .seconds(5)) == .closed)
            // One request, then end of input: answered, then closed.
            let asker = try UnixStreamClient(path: socket.path)
            try asker.send(Self.statusRequest)
            #expect(shutdown(asker.descriptor, Int32(SHUT_WR)) == 0)
            let answer = try asker.readResponse()
            #expect(answer["ok"] as? Bool == true && answer["pid"] as? Int == Int(demo.pid), "\(answer)")
            #expect(try asker.read(within: .seconds(5)) == .closed)
            // reload --wait, then end of input: the reload's outcome still arrives.
            let waiter = try UnixStreamClient(path: socket.path)
            try waiter.send(#"{"v":1,"command":"reload","wait":true}"# + "\n")
            #expect(shutdown(waiter.descriptor, Int32(SHUT_WR)) == 0)
            let reloaded = try waiter.readResponse(timeout: .seconds(30))
            #expect(reloaded["ok"] as? Bool == true, "\(reloaded)")
            #expect(try waiter.read(within: .seconds(5)) == .closed)

            // More answers than the socket and the master hold for it, end of input, and never a read.
            let hoarder = try UnixStreamClient(path: socket.path)
            try hoarder.send(String(repeating: Self.statusRequest, count: 3000))
            #expect(shutdown(hoarder.descriptor, Int32(SHUT_WR)) == 0)
            let start = ContinuousClock.now
            let ticksBefore = try ProcStatus.cpuTicks(of: demo.pid)
            // Until the master closes it (10 s without progress), watching for the hang-up only.
            var entry = pollfd(fd: hoarder.descriptor, events: 0, revents: 0)
            let hungUp = poll(&entry, 1, 25_000) == 1 && entry.revents & Int16(POLLHUP) != 0
            let elapsed = (ContinuousClock.now - start).seconds
            let cpu = Double(try ProcStatus.cpuTicks(of: demo.pid) - ticksBefore) / Double(sysconf(Int32(_SC_CLK_TCK)))
            #expect(hungUp, "the master never closed the half-closed client that does not read")
            #expect(cpu < 0.2 * elapsed, "the master used \(cpu) s of CPU in \(elapsed) s while the client sat half-closed")

            let after = try driver.control(socket: socket.path, ["--json", "status"])
            try DaemonSuite.ControlSocketTests.expectStatus(after, matches: demo, driver: driver, count: 2)
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("64 clients trickling a byte a second fill every slot: cotyledonctl is answered busy, the tricklers are dropped at their request deadline, then cotyledonctl is served",
              .timeLimit(.minutes(1)))
        func tricklingClientsAreDroppedAtTheRequestDeadline() throws {
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 1))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

            var tricklers = try (0..<64).map { _ in try UnixStreamClient(path: socket.path) }
            for trickler in tricklers { try trickler.send("{") }
            let busy = try driver.control(socket: socket.path, ["--json", "status"])
            #expect(busy.status == .exited(1) && busy.json?["code"] as? String == "busy", "\(busy)")

            // A byte a second to each, never a whole request, until the master drops them all.
            let start = ContinuousClock.now
            while !tricklers.isEmpty, ContinuousClock.now - start < .seconds(30) {
                let outcomes = try UnixStreamClient.readAll(tricklers, timeout: .seconds(1))
                #expect(!outcomes.contains { if case .line = $0 { true } else { false } }, "\(outcomes)")
                tricklers = zip(tricklers, outcomes).filter { $0.1 == .nothing }.map(\.0)
                for trickler in tricklers { try trickler.send(" ") }
            }
            #expect(tricklers.isEmpty, "\(tricklers.count) tricklers still hold a slot after 30 s")

            let served = try driver.control(socket: socket.path, ["--json", "status"])
            #expect(served.status == .exited(0) && served.json?["pid"] as? Int == Int(demo.pid), "\(served)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}

/// A client that pipelines many copies of one request without reading, then reads all the
/// answers, sending the rest of its requests as the daemon takes them.
private final class PipeliningClient {
    /// What came back.
    struct Outcome: CustomStringConvertible {
        var answers = 0
        var failures = 0
        var answersWithMarker = 0
        var closedEarly = false

        var description: String {
            "\(answers) answers, \(failures) failures, \(answersWithMarker) with the marker, closed early: \(closedEarly)"
        }
    }

    private let client: UnixStreamClient
    private let requests: [UInt8]
    private var sent = 0

    init(path: String, request: String, count: Int) throws {
        client = try UnixStreamClient(path: path)
        requests = Array(String(repeating: request, count: count).utf8)
    }

    /// Sends what the socket takes without waiting.
    func sendWhatFits() throws {
        while sent < requests.count {
            let count = requests.withUnsafeBytes {
                send(client.descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if count > 0 {
                sent += count
                continue
            }
            if count < 0 && errno == EINTR { continue }
            guard count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else {
                throw DriverError("send: \(String(cString: strerror(errno)))")
            }
            return
        }
    }

    /// Sends the rest and reads every answer (counting those containing `marker`) until all are
    /// in, the connection closes or `timeout` passes.
    func finish(marker: [UInt8], timeout: Duration) throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        let total = requests.count / (requests.firstIndex(of: 0x0A)! + 1)
        let success = Array(#""ok":true"#.utf8)
        var outcome = Outcome()
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while outcome.answers < total, ContinuousClock.now < deadline {
            try sendWhatFits()
            var entry = pollfd(fd: client.descriptor, events: Int16(POLLIN | (sent < requests.count ? POLLOUT : 0)), revents: 0)
            guard poll(&entry, 1, 1000) >= 0 || errno == EINTR else { throw DriverError("poll: \(String(cString: strerror(errno)))") }
            let count = recv(client.descriptor, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                outcome.closedEarly = true
                break
            }
            for byte in chunk.prefix(max(count, 0)) {
                guard byte == 0x0A else {
                    line.append(byte)
                    continue
                }
                outcome.answers += 1
                if !line.contains(subsequence: success) { outcome.failures += 1 }
                if line.contains(subsequence: marker) { outcome.answersWithMarker += 1 }
                line.removeAll(keepingCapacity: true)
            }
        }
        return outcome
    }
}

private extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func contains(subsequence needle: [UInt8]) -> Bool {
        Data(self).range(of: Data(needle)) != nil
    }
}
