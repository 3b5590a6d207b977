import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// Listening sockets the master opens before it forks (`listeners:` and `addListener`),
    /// served by the fixture's answerer, whose workers answer `pid PID listener NAME`.
    @Suite
    struct ListenerTests {
        @Test("one port, several workers: the master's one socket (port 0, real port in listener-opened) is at the same fd in every worker, and both workers answer on it",
              .timeLimit(.minutes(1)))
        func workersShareTheMastersSocket() throws {
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--workers", "2", "--listen", "http=127.0.0.1:0"])
            let opened = try daemon.waitForEvent("listener-opened")
            #expect(opened.fields["name"] == "http" && opened.fields["address"]?.hasPrefix("127.0.0.1:") == true, "\(opened)")
            let port = try #require(opened.listenerPort)
            #expect(port != 0, "the kernel's port is logged, not 0: \(opened)")
            let fd = try #require(opened.fields["fd"].flatMap(Int32.init))
            let workers = Set(try daemon.waitForEvents("worker-ready", count: 2).compactMap(\.subjectPid))
            _ = try daemon.waitForEvent("all-ready")
            for pid in [daemon.pid] + Array(workers) {
                let table = try FileDescriptorTable(pid: pid)
                #expect(table.targets[fd]?.hasPrefix("socket:[") == true, "fd \(fd) in \(pid): \(table)")
            }
            let inodes = Set(try ([daemon.pid] + Array(workers)).map { try FileDescriptorTable(pid: $0).targets[fd] ?? "?" })
            #expect(inodes.count == 1, "one socket, not one per worker: \(inodes)")
            // Each worker in turn is paused, so the other one must answer.
            var answered: Set<Int32> = []
            for paused in workers {
                try Self.pause(paused, driver: driver)
                let answer = try Self.ask(port: port)
                try driver.signal(paused, SIGCONT)
                #expect(answer.listener == "http", "\(answer)")
                answered.insert(answer.pid)
            }
            #expect(answered == workers, "both workers answered on the one port: \(answered) vs \(workers)")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("connections waiting in the queue survive a worker's SIGKILL: every worker paused, 8 clients connect, one worker is killed, the others resume, all 8 are answered",
              .timeLimit(.minutes(1)))
        func queuedConnectionsSurviveAKilledWorker() throws {
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--workers", "2", "--listen", "http=127.0.0.1:0"])
            let port = try daemon.listenerPort(named: "http")
            let workers = try daemon.waitForEvents("worker-ready", count: 2).compactMap(\.subjectPid)
            _ = try daemon.waitForEvent("all-ready")
            for worker in workers { try Self.pause(worker, driver: driver) }
            // The kernel completes each handshake into the listener's queue; nobody accepts yet.
            let clients = try (0..<8).map { _ in try LoopbackHTTPClient.connect(port: port) }
            defer { for client in clients { close(client) } }
            let cursor = daemon.cursor
            try driver.signal(workers[0], SIGKILL)
            _ = try daemon.waitForEvent("worker-exited", from: cursor) { $0.subjectPid == workers[0] }
            try driver.signal(workers[1], SIGCONT)
            for client in clients {
                let line = try DaemonSuite.FaultInjectionTests.ListenDescriptors.readLine(from: client)
                #expect(line.hasPrefix("pid ") && line.hasSuffix(" listener http"), "\(line)")
            }
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("reload moving a listener to another port: the new port opened before the old closes, the service rolled although it reloads in place; a reload to a port in use fails and changes nothing",
              .timeLimit(.minutes(2)))
        func reloadMovesAListenerOrFailsWhole() throws {
            let file = try ConfigurationFixture()
            try file.write(Self.configuration(address: "127.0.0.1:0"))
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--workers", "2", "--config", file.path])
            let oldPort = try daemon.listenerPort(named: "http")
            let oldWorkers = Set(try daemon.waitForEvents("worker-ready", count: 2).compactMap(\.subjectPid))
            _ = try daemon.waitForEvent("all-ready")

            // Another loopback address, port 0: the kernel's port is read from the event.
            try file.write(Self.configuration(address: "127.0.0.2:0"))
            var cursor = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let opened = try daemon.waitForEvent("listener-opened", from: cursor)
            #expect(opened.fields["address"]?.hasPrefix("127.0.0.2:") == true, "\(opened)")
            let newPort = try #require(opened.listenerPort)
            let closed = try daemon.waitForEvent("listener-closed", from: cursor)
            #expect(closed.fields["address"] == "127.0.0.1:\(oldPort)", "\(closed)")
            #expect(opened.index < closed.index, "opened before the old one closed")
            _ = try daemon.waitForEvent("roll-started", from: cursor) { $0.fields["service"] == "answerer" }
            _ = try daemon.waitForEvent("reload-complete", from: cursor)
            #expect(!daemon.lines.contains { $0.text.hasPrefix("service-reload ") }, "rolled, not reloaded in place")
            let answer = try Self.ask(host: "127.0.0.2", port: newPort)
            #expect(!oldWorkers.contains(answer.pid), "a new worker answers on the new port: \(answer)")
            _ = try daemon.waitForEvents("worker-exited", count: oldWorkers.count, from: cursor) { oldWorkers.contains($0.subjectPid ?? 0) }
            #expect(throws: (any Error).self, "the old port is closed") { try LoopbackHTTPClient.connect(port: oldPort) }

            let busy = try ListeningSocket()
            defer { busy.close() }
            try file.write(Self.configuration(address: "127.0.0.1:\(busy.port)"))
            cursor = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let failed = try daemon.waitForEvent("reload-failed", from: cursor)
            let error = failed.fields["error"] ?? ""
            #expect(error.contains("listener \"http\"") && error.contains("127.0.0.1:\(busy.port)")
                        && error.contains("another process listens on this port"), "\(failed)")
            let again = try Self.ask(host: "127.0.0.2", port: newPort)
            #expect(again.pid == answer.pid || daemon.events("worker-ready").contains { $0.subjectPid == again.pid },
                    "still served on the port in force: \(again)")
            let after = daemon.logLines.filter { $0.index >= cursor }.compactMap(\.event)
            #expect(!after.contains("roll-started") && !after.contains("listener-closed") && !after.contains("listener-opened"),
                    "nothing changed: \(after)")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("unix listener: socket file with the configured mode 0600, served, removed when the master exits; a stale socket file is replaced",
              .timeLimit(.minutes(1)))
        func unixListenerWithMode() throws {
            let file = try ConfigurationFixture()
            let directory = NSTemporaryDirectory() + "cotyledon-unix-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/answer.sock"
            // A stale socket: bound, then its process (here: its descriptor) gone.
            let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            #expect(Self.bindUnix(stale, path) == 0)
            close(stale)
            try file.write(Self.configuration(address: "unix:\(path)", extra: "    mode: \"0600\"\n"))
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--workers", "1", "--config", file.path])
            let opened = try daemon.waitForEvent("listener-opened")
            #expect(opened.fields["address"] == "unix:\(path)", "\(opened)")
            _ = try daemon.waitForEvent("all-ready")
            var status = stat()
            #expect(lstat(path, &status) == 0)
            #expect(status.st_mode & S_IFMT == S_IFSOCK && status.st_mode & 0o777 == 0o600, "mode \(String(status.st_mode, radix: 8))")
            let client = try UnixStreamClient(path: path)
            #expect(try client.readLine(timeout: .seconds(10)).hasSuffix(" listener http"))
            client.close()
            let inode = status.st_ino

            // Same address, new mode: the socket is kept (chmod), the service reloads in place.
            try file.write(Self.configuration(address: "unix:\(path)", extra: "    mode: \"0640\"\n"))
            let cursor = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let kept = try daemon.waitForEvent("listener-kept", from: cursor)
            #expect(kept.fields["name"] == "http" && kept.fields["fd"] == opened.fields["fd"], "\(kept)")
            _ = try daemon.waitForEvent("reload-complete", from: cursor)
            #expect(lstat(path, &status) == 0)
            #expect(status.st_ino == inode && status.st_mode & 0o777 == 0o640, "same socket file, mode \(String(status.st_mode, radix: 8))")
            _ = try daemon.waitForLine("service-reload", from: cursor) { $0.text.hasPrefix("service-reload ") }
            let after = daemon.logLines.filter { $0.index >= cursor }.compactMap(\.event)
            #expect(!after.contains("roll-started") && !after.contains("listener-closed"), "kept, not rolled: \(after)")
            try daemon.stopAndExpectCleanExit()
            #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed at exit")
            try driver.expectCleanEnd()
        }

        @Test("a socket systemd passes with the listener's name wins: listener-from-systemd, nothing opened, the worker answers on systemd's socket",
              .timeLimit(.minutes(1)))
        func systemdSocketOfTheSameNameWins() throws {
            // Passed as systemd does: descriptor 3, LISTEN_FDNAMES, LISTEN_PID set by the shell that becomes the daemon.
            let passed = try ListeningSocket()
            defer { passed.close() }
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawnSocketActivated(
                path: try BuildProducts.path(of: "cotyledon-fixture"), ["listeners", "--workers", "1", "--listen", "http=127.0.0.1:0"],
                sockets: [("http", passed.descriptor)])
            let fromSystemd = try daemon.waitForEvent("listener-from-systemd")
            #expect(fromSystemd.fields["name"] == "http" && fromSystemd.fields["fd"] == "3" && fromSystemd.fields["address"] == "127.0.0.1:0",
                    "\(fromSystemd)")
            let worker = try #require(try daemon.waitForEvent("worker-ready").subjectPid)
            let answer = try Self.ask(port: passed.port)
            #expect(answer.pid == worker && answer.listener == "http", "answered on systemd's socket: \(answer)")
            #expect(daemon.events("listener-opened").isEmpty, "the declared listener was not opened")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("start with a port in use or a missing directory: exit 78 before any fork, naming the listener, the address and the fix",
              .timeLimit(.minutes(1)))
        func unusableAddressExits78() throws {
            let busy = try ListeningSocket()
            defer { busy.close() }
            let driver = try Driver()
            defer { driver.close() }
            let inUse = try driver.spawn("cotyledon-fixture", ["listeners", "--listen", "http=127.0.0.1:\(busy.port)"])
            #expect(try inUse.waitForExit(timeout: .seconds(20)).status == .exited(78), "log:\n\(inUse.tail)")
            let message = inUse.text(of: "stderr")
            #expect(message.contains("cannot open listener \"http\" on 127.0.0.1:\(busy.port): bind: ")
                        && message.contains("another process listens on this port: stop it or choose another port"), "\(message)")
            #expect(inUse.events("worker-started").isEmpty)
            let path = "/nonexistent-\(getpid())/answer.sock"
            let missing = try driver.spawn("cotyledon-fixture", ["listeners", "--listen", "admin=unix:\(path)"])
            #expect(try missing.waitForExit(timeout: .seconds(20)).status == .exited(78), "log:\n\(missing.tail)")
            #expect(missing.text(of: "stderr").contains("cannot open listener \"admin\" on unix:\(path)")
                        && missing.text(of: "stderr").contains("does not exist: create it"), "\(missing.text(of: "stderr"))")
            try driver.expectCleanEnd()
        }

        @Test("a start that fails after the listeners opened (the control socket's path is a regular file): exit 70, the unix listener's socket file is removed",
              .timeLimit(.minutes(1)))
        func failedStartRemovesUnixListenerFile() throws {
            let directory = NSTemporaryDirectory() + "cotyledon-unix-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/answer.sock"
            let notASocket = directory + "/control.txt"
            try "not a socket\n".write(toFile: notASocket, atomically: false, encoding: .utf8)
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--listen", "admin=unix:\(path)", "--control-socket", notASocket])
            #expect(try daemon.waitForExit(timeout: .seconds(20)).status == .exited(70), "log:\n\(daemon.tail)")
            #expect(daemon.text(of: "stderr").contains("\(notASocket) exists and is not a socket"), "\(daemon.tail)")
            let opened = try daemon.waitForEvent("listener-opened")
            #expect(opened.fields["address"] == "unix:\(path)", "the listener was opened before the failure: \(opened)")
            #expect(!FileManager.default.fileExists(atPath: path), "the listener's socket file is removed")
            #expect(daemon.events("worker-started").isEmpty)
            try driver.expectCleanEnd()
        }

        @Test("a configuration file whose service names a listener added in code (validate's knownListeners) starts, serves it and reloads",
              .timeLimit(.minutes(1)))
        func fileNamesAListenerAddedInCode() throws {
            let file = try ConfigurationFixture()
            try file.write("services:\n  answerer:\n    workers: 1\n    listeners: [admin]\n")
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--config", file.path, "--listen", "admin=127.0.0.1:0"])
            let opened = try daemon.waitForEvent("listener-opened")
            #expect(opened.fields["name"] == "admin", "\(opened)")
            _ = try daemon.waitForEvent("all-ready")
            #expect(try Self.ask(port: try #require(opened.listenerPort)).listener == "admin")
            let cursor = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            _ = try daemon.waitForEvent("reload-complete", from: cursor)
            #expect(daemon.events("reload-failed").isEmpty, "\(daemon.tail)")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("a listener of the configuration file wins over the one added in code with its name, at start and on reload",
              .timeLimit(.minutes(1)))
        func configurationListenerWinsOverCode() throws {
            let file = try ConfigurationFixture()
            try file.write(Self.configuration(address: "127.0.0.2:0"))
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--workers", "1", "--config", file.path, "--listen", "http=127.0.0.1:0"])
            let opened = try daemon.waitForEvent("listener-opened")
            #expect(opened.fields["name"] == "http" && opened.fields["address"]?.hasPrefix("127.0.0.2:") == true, "the file's address: \(opened)")
            _ = try daemon.waitForEvent("all-ready")
            let cursor = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let kept = try daemon.waitForEvent("listener-kept", from: cursor)
            #expect(kept.fields["address"] == opened.fields["address"] && kept.fields["fd"] == opened.fields["fd"], "\(kept)")
            _ = try daemon.waitForEvent("reload-complete", from: cursor)
            #expect(daemon.events("listener-opened").count == 1 && daemon.events("reload-failed").isEmpty, "\(daemon.tail)")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("addListener misuse: an invalid name and a duplicate name exit 70 with the fix, nothing opened or forked",
              .timeLimit(.minutes(1)))
        func addListenerMisuse() throws {
            let driver = try Driver()
            defer { driver.close() }
            let invalid = try driver.spawn("cotyledon-fixture", ["listeners", "--listen", "Http=127.0.0.1:0"])
            #expect(try invalid.waitForExit(timeout: .seconds(20)).status == .exited(70), "log:\n\(invalid.tail)")
            #expect(invalid.text(of: "stderr").contains("listener name \"Http\" is not valid: use only a-z, 0-9, '_' and '-'"),
                    "\(invalid.text(of: "stderr"))")
            let duplicate = try driver.spawn("cotyledon-fixture", ["listeners", "--listen", "http=127.0.0.1:0", "--listen", "http=127.0.0.1:0"])
            #expect(try duplicate.waitForExit(timeout: .seconds(20)).status == .exited(70), "log:\n\(duplicate.tail)")
            #expect(duplicate.text(of: "stderr").contains("a listener named \"http\" is already declared"), "\(duplicate.text(of: "stderr"))")
            #expect(invalid.events("listener-opened").isEmpty && duplicate.events("listener-opened").isEmpty)
            try driver.expectCleanEnd()
        }

        // MARK: - Helpers

        /// A configuration with the one listener `http` at `address` and the answerer.
        static func configuration(address: String, extra: String = "") -> String {
            "listeners:\n  http:\n    address: \(address)\n" + extra + "services:\n  answerer:\n    workers: 2\n    listeners: [http]\n"
        }

        /// Sends SIGSTOP to `pid` and waits until the kernel shows it stopped (`State: T`),
        /// so that it cannot accept a connection made afterwards.
        static func pause(_ pid: Int32, driver: Driver) throws {
            try driver.signal(pid, SIGSTOP)
            try ProcStatus.waitUntil("worker \(pid) is stopped", timeout: .seconds(10)) {
                try ProcStatus.fields(of: pid)["State"]?.hasPrefix("T") == true
            }
        }

        /// Connects to `host`:`port` and reads the answer `pid PID listener NAME`.
        static func ask(host: String = "127.0.0.1", port: Int) throws -> (pid: Int32, listener: String) {
            let client = try LoopbackHTTPClient.connect(host: host, port: port)
            defer { close(client) }
            let line = try DaemonSuite.FaultInjectionTests.ListenDescriptors.readLine(from: client)
            let words = line.split(separator: " ")
            guard words.count == 4, let pid = Int32(words[1]) else { throw DriverError("unexpected answer: \(line)") }
            return (pid, String(words[3]))
        }

        /// Binds `fd` to the unix socket `path`.
        static func bindUnix(_ fd: Int32, _ path: String) -> Int32 {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { bytes in
                for (index, byte) in path.utf8.enumerated() { bytes[index] = byte }
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }
}
