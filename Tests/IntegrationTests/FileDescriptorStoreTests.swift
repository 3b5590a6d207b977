import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// systemd's file descriptor store (`fd_store`), with a notify socket the test binds
    /// standing in for systemd: the test keeps what `FDSTORE=1` passes and hands it back
    /// at the next start as systemd does (`LISTEN_FDNAMES=cotyledon.store.<name>`).
    @Suite
    struct FileDescriptorStoreTests {
        static func configuration(fdStore: Bool, address: String = "127.0.0.1:0") -> String {
            "fd_store: \(fdStore)\nlisteners:\n  http:\n    address: \(address)\nservices:\n  answerer:\n    workers: 1\n    listeners: [http]\n"
        }

        /// Whether `fd` listens, and its port (`SO_ACCEPTCONN`, `getsockname`).
        static func listeningPort(of fd: Int32) -> Int? {
            var accepting: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting == 1 else { return nil }
            var address = sockaddr_in()
            var addressLength = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &addressLength) }
            }
            guard named == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        @Test("fd_store: the master stores its listener (FDSTORE=1 with the listening socket on its port); the next start, handed it back as cotyledon.store.http, uses it and stores nothing twice, and a connection made while no daemon ran is answered",
              .timeLimit(.minutes(2)))
        func aStoredListenerSurvivesARestart() throws {
            let file = try ConfigurationFixture()
            try file.write(Self.configuration(fdStore: true))
            let notify = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let first = try driver.spawn("cotyledon-fixture", ["listeners", "--config", file.path], environment: ["NOTIFY_SOCKET=\(notify.path)"])
            let port = try first.listenerPort(named: "http")
            let stored = try notify.waitFor("FDSTORE=1") { $0.fields["FDSTORE"] == "1" }
            #expect(stored.fields["FDNAME"] == "cotyledon.store.http", "\(stored)")
            #expect(stored.descriptors.count == 1, "one descriptor with FDSTORE=1: \(stored)")
            let descriptor = try #require(stored.descriptors.first)
            #expect(Self.listeningPort(of: descriptor) == port, "the stored descriptor listens on the listener's port \(port)")
            let event = try first.waitForEvent("fd-stored")
            #expect(event.fields["name"] == "http" && event.fields["fdname"] == "cotyledon.store.http", "\(event)")
            _ = try notify.waitFor("READY=1") { $0.fields["READY"] == "1" }
            try first.stopAndExpectCleanExit()

            // No daemon runs: the socket the store holds still listens, so the kernel queues this connection.
            let client = try LoopbackHTTPClient.connect(port: port)
            defer { close(client) }
            let before = notify.received.count
            let second = try driver.spawnSocketActivated(
                path: try BuildProducts.path(of: "cotyledon-fixture"), ["listeners", "--config", file.path],
                sockets: [("cotyledon.store.http", descriptor)], environment: ["NOTIFY_SOCKET=\(notify.path)"])
            let restored = try second.waitForEvent("fd-store-restored")
            #expect(restored.fields["name"] == "http" && restored.fields["fd"] == "3" && restored.fields["address"] == "127.0.0.1:\(port)",
                    "\(restored)")
            let worker = try #require(try second.waitForEvent("worker-ready").subjectPid)
            let answer = try DaemonSuite.FaultInjectionTests.ListenDescriptors.readLine(from: client)
            #expect(answer == "pid \(worker) listener http", "the queued connection is answered by the new worker, under the listener's name")
            _ = try notify.waitFor("READY=1 of the second start") { $0.fields["READY"] == "1" }
            #expect(second.events("listener-opened").isEmpty, "nothing was opened: \(second.events("listener-opened"))")
            let later = notify.received.dropFirst(before)
            #expect(!later.contains { $0.fields["FDSTORE"] != nil || $0.fields["FDSTOREREMOVE"] != nil },
                    "the store holds the socket already: \(Array(later))")
            try second.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("fd_store off: a stored socket passed anyway is used, then removed from the store; one for an undeclared listener is closed and removed; nothing is stored",
              .timeLimit(.minutes(2)))
        func storeOffUsesAndRemoves() throws {
            let kept = try ListeningSocket()
            defer { kept.close() }
            let undeclared = try ListeningSocket()
            defer { undeclared.close() }
            let file = try ConfigurationFixture()
            try file.write(Self.configuration(fdStore: false, address: "127.0.0.1:\(kept.port)"))
            let notify = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawnSocketActivated(
                path: try BuildProducts.path(of: "cotyledon-fixture"), ["listeners", "--config", file.path],
                sockets: [("cotyledon.store.http", kept.descriptor), ("cotyledon.store.old", undeclared.descriptor)],
                environment: ["NOTIFY_SOCKET=\(notify.path)"])
            let restored = try daemon.waitForEvent("fd-store-restored")
            #expect(restored.fields["name"] == "http" && restored.fields["fd"] == "3", "\(restored)")
            let dropped = try daemon.waitForEvent("fd-store-dropped")
            #expect(dropped.fields["fdname"] == "cotyledon.store.old" && dropped.fields["reason"] == "no listener named old is declared",
                    "\(dropped)")
            _ = try notify.waitFor("READY=1") { $0.fields["READY"] == "1" }
            let removals = notify.received.filter { $0.fields["FDSTOREREMOVE"] == "1" }.compactMap { $0.fields["FDNAME"] }
            #expect(removals == ["cotyledon.store.old", "cotyledon.store.http"], "\(notify.received)")
            #expect(!notify.received.contains { $0.fields["FDSTORE"] != nil }, "\(notify.received)")
            let answer = try ListenerTests.ask(port: kept.port)
            #expect(answer.listener == "http", "\(answer)")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        @Test("fd_store across reloads: a moved listener is removed from the store and its new socket stored; a reload turning fd_store off removes it",
              .timeLimit(.minutes(2)))
        func reloadsKeepTheStoreInLine() throws {
            let file = try ConfigurationFixture()
            try file.write(Self.configuration(fdStore: true))
            let notify = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn("cotyledon-fixture", ["listeners", "--config", file.path], environment: ["NOTIFY_SOCKET=\(notify.path)"])
            let first = try notify.waitFor("FDSTORE=1") { $0.fields["FDSTORE"] == "1" }
            #expect(Self.listeningPort(of: try #require(first.descriptors.first)) == (try daemon.listenerPort(named: "http")))
            _ = try notify.waitFor("READY=1") { $0.fields["READY"] == "1" }

            try file.write(Self.configuration(fdStore: true, address: "127.0.0.2:0"))
            let cursor = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let removal = try notify.waitFor("FDSTOREREMOVE=1 for the moved listener") { $0.fields["FDSTOREREMOVE"] == "1" }
            #expect(removal.fields["FDNAME"] == "cotyledon.store.http" && removal.descriptors.isEmpty, "\(removal)")
            let stored = try notify.waitFor("FDSTORE=1 of the new socket") { $0.fields["FDSTORE"] == "1" }
            #expect(stored.fields["FDNAME"] == "cotyledon.store.http", "\(stored)")
            let newPort = try daemon.listenerPort(named: "http", from: cursor)
            #expect(Self.listeningPort(of: try #require(stored.descriptors.first)) == newPort, "the new socket is stored")
            _ = try notify.waitFor("READY=1 after the reload") { $0.fields["READY"] == "1" }

            try file.write(Self.configuration(fdStore: false, address: "127.0.0.2:0"))
            let before = notify.received.count
            try driver.signal(daemon.pid, SIGHUP)
            let off = try notify.waitFor("FDSTOREREMOVE=1 when fd_store is turned off") { $0.fields["FDSTOREREMOVE"] == "1" }
            #expect(off.fields["FDNAME"] == "cotyledon.store.http", "\(off)")
            let event = try daemon.waitForEvent("fd-store-removed", from: cursor) { $0.fields["reason"] == "fd_store is off" }
            #expect(event.fields["fdname"] == "cotyledon.store.http", "\(event)")
            _ = try notify.waitFor("READY=1 after the second reload") { $0.fields["READY"] == "1" }
            #expect(!notify.received.dropFirst(before).contains { $0.fields["FDSTORE"] != nil }, "nothing stored with fd_store off")
            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
