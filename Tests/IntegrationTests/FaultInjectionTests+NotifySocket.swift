import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// A `NOTIFY_SOCKET` nobody reads: the kernel queues 10 datagrams (`net.unix.max_dgram_qlen`;
    /// systemd raises it for its own socket), then a blocking `sd_notify` froze the master.
    @Suite
    struct NotifySocketNobodyReads {
        /// A demo whose notifications overflow an unread socket quickly: a watchdog ping every
        /// 0.1 s, and killed workers respawned at once with no limit (each changes the status).
        static func startDemo(_ driver: Driver, _ socket: NotifySocket) throws -> DaemonProcess {
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "4", "--min-uptime", "0", "--max-restarts", "0"],
                                        environment: ["NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=200000"])
            _ = try demo.waitForEvent("all-ready")
            return demo
        }

        /// SIGKILLs worker 0 and waits for its respawn (the supervision is alive).
        static func killAndAwaitRespawn(_ demo: DaemonProcess, _ driver: Driver) throws {
            let victim = try #require(demo.liveWorkers()[0], "worker 0 is ready; log:\n\(demo.tail)")
            let mark = demo.cursor
            try driver.signal(victim, SIGKILL)
            _ = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 0 && $0.subjectPid != victim }
        }

        /// Kills and respawns worker 0, giving the master a moment for notifications between
        /// rounds, until it reports that they back up, then once more: the master keeps
        /// supervising while the socket is full (the pings alone fill it in about a second).
        static func respawnUntilBacklog(_ demo: DaemonProcess, _ driver: Driver) throws -> LogLine {
            for _ in 0..<80 {
                let backlog = try? demo.waitForEvent("notify-backlog", timeout: .milliseconds(250))
                try killAndAwaitRespawn(demo, driver)
                if let backlog { return backlog }
            }
            throw DriverError("no notify-backlog after 80 respawns; log:\n\(demo.tail)")
        }

        /// The state changes among `datagrams`, in order, checking that none was merged with another.
        static func stateChanges(in datagrams: [NotifySocket.Datagram], sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
            let states = ["MAINPID", "READY", "RELOADING", "STOPPING", "WATCHDOG"]
            return datagrams.compactMap { datagram in
                let keys = datagram.text.split(separator: "\n").map { String($0.prefix { $0 != "=" }) }
                #expect(Set(keys).count == keys.count, "no key twice in one datagram: \(datagram)", sourceLocation: sourceLocation)
                let found = keys.filter { states.contains($0) }
                #expect(found.count <= 1, "one state change per datagram: \(datagram)", sourceLocation: sourceLocation)
                return found.first.flatMap { $0 == "WATCHDOG" ? nil : $0 }
            }
        }

        @Test("unread NOTIFY_SOCKET: a killed worker is respawned and SIGTERM stops the master with exit 0; what the socket got is in order",
              .timeLimit(.minutes(2)))
        func supervisionGoesOnWhileTheSocketIsFull() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try Self.startDemo(driver, socket)
            // The master's notify socket (and any socket of its) stays out of the workers.
            let masterSockets = Set(try FileDescriptorTable(pid: demo.pid).targets.values.filter { $0.hasPrefix("socket:") })
            #expect(!masterSockets.isEmpty, "the master holds its notify socket")
            for (id, pid) in demo.liveWorkers() {
                let shared = try FileDescriptorTable(pid: pid).targets.values.filter(masterSockets.contains)
                #expect(shared.isEmpty, "worker \(id) holds the master's \(shared)")
            }
            let backlog = try Self.respawnUntilBacklog(demo, driver)
            #expect(backlog.pid == demo.pid && backlog.level == "warning", "\(backlog)")
            try Self.killAndAwaitRespawn(demo, driver)
            try demo.stopAndExpectCleanExit(timeout: .seconds(10))
            #expect(demo.events("notify-backlog").count == 1, "warned once; log:\n\(demo.tail)")
            // The socket holds what the kernel queued before it was full: the first datagrams, in order.
            let received = socket.readWaiting()
            #expect(received.count >= 10, "\(received)")
            #expect(received.first?.fields["MAINPID"] == "\(demo.pid)", "\(received)")
            let states = Self.stateChanges(in: received)
            #expect(states.first == "MAINPID" && states.filter { $0 == "READY" }.count <= 1, "\(states)")
            try driver.expectCleanEnd()
        }

        @Test("unread then read NOTIFY_SOCKET: every waiting notification arrives once, in order: READY, RELOADING, READY, STOPPING",
              .timeLimit(.minutes(2)))
        func waitingNotificationsArriveInOrder() throws {
            let socket = try NotifySocket()
            let driver = try Driver()
            defer { driver.close() }
            let demo = try Self.startDemo(driver, socket)
            _ = try Self.respawnUntilBacklog(demo, driver)
            let mark = demo.cursor
            try driver.signal(demo.pid, SIGHUP)
            _ = try demo.waitForEvent("reload-complete", from: mark)
            try Self.killAndAwaitRespawn(demo, driver)
            // Now read: the master sends what waits as the socket makes room.
            try socket.waitFor("READY=1 after RELOADING=1") { datagram in
                datagram.fields["READY"] == "1" && socket.received.contains { $0.fields["RELOADING"] == "1" }
            }
            let drained = try demo.waitForEvent("notify-drained")
            #expect(drained.level == "info", "\(drained)")
            try driver.signal(demo.pid, SIGTERM)
            try socket.waitFor("STOPPING=1") { $0.fields["STOPPING"] == "1" }
            #expect(try demo.waitForExit().status == .exited(0), "log:\n\(demo.tail)")
            socket.readWaiting()
            let states = Self.stateChanges(in: socket.received)
            #expect(states == ["MAINPID", "READY", "RELOADING", "READY", "STOPPING"], "\(socket.received)")
            let reloading = socket.received.first { $0.fields["RELOADING"] == "1" }
            #expect(reloading?.fields["MONOTONIC_USEC"] != nil, "\(String(describing: reloading))")
            try driver.expectCleanEnd()
        }

        @Test("NOTIFY_SOCKET replaced by a new socket at the same path: the next notification reaches the new one",
              .timeLimit(.minutes(1)))
        func replacedSocketGetsTheNextNotification() throws {
            var socket: NotifySocket? = try NotifySocket()
            let path = try #require(socket?.path)
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"], environment: ["NOTIFY_SOCKET=\(path)"])
            try socket?.waitFor("READY=1") { $0.fields["READY"] == "1" }
            socket = nil // closed and removed, as by a service manager restarting
            let replacement = try NotifySocket(path: path)
            try driver.signal(demo.pid, SIGHUP)
            try replacement.waitFor("RELOADING=1") { $0.fields["RELOADING"] == "1" }
            try replacement.waitFor("READY=1 after the reload") { $0.fields["READY"] == "1" }
            try demo.stopAndExpectCleanExit()
            #expect(demo.events("notify-failed").isEmpty, "log:\n\(demo.tail)")
            try driver.expectCleanEnd()
        }

        @Test("NOTIFY_SOCKET=@name, an abstract socket: READY=1 and STOPPING=1 arrive", .timeLimit(.minutes(1)))
        func abstractSocketAddress() throws {
            let socket = try NotifySocket(path: "@cotyledon-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", "2"], environment: ["NOTIFY_SOCKET=\(socket.path)"])
            try socket.waitFor("READY=1") { $0.fields["READY"] == "1" }
            try driver.signal(demo.pid, SIGTERM)
            try socket.waitFor("STOPPING=1") { $0.fields["STOPPING"] == "1" }
            #expect(try demo.waitForExit().status == .exited(0), "log:\n\(demo.tail)")
            try driver.expectCleanEnd()
        }
    }
}
