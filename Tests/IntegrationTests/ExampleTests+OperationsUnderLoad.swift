import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ExampleTests {
    /// Where http-daemon's workers get their listening socket.
    enum Listening: String, CustomStringConvertible {
        /// The master opens it (the default).
        case master
        /// The test opens it and passes it as socket activation does.
        case socketActivation = "socket activation"

        var description: String { rawValue }
    }

    @Test("http-daemon under keep-alive load: a rolling restart, scaling down and up, a reload and a SIGTERM during slow requests lose no request",
          .timeLimit(.minutes(5)), arguments: [Listening.master, .socketActivation])
    func httpDaemonOperationsUnderKeepAliveLoad(listening: Listening) throws {
        try Self.operateUnderLoad(mode: .keepAlive, listening: listening)
    }

    @Test("http-daemon under one-connection-per-request load: a rolling restart, scaling down and up, a reload and a SIGTERM during slow requests lose no request",
          .timeLimit(.minutes(5)), arguments: [Listening.master, .socketActivation])
    func httpDaemonOperationsUnderConnectionPerRequestLoad(listening: Listening) throws {
        try Self.operateUnderLoad(mode: .connectionPerRequest, listening: listening)
    }

    /// The operations of a daemon's life, each while 8 clients keep a request in flight.
    /// Every phase must see requests succeed, and none may fail.
    private static func operateUnderLoad(mode: LoadClient.Mode, listening: Listening) throws {
        let driver = try Driver()
        defer { driver.close() }
        let controlSocket = driver.runtimeDirectory + "/http-control.sock"
        let arguments = ["--workers", "4", "--control-socket", controlSocket, "--graceful-timeout", "30"]
        let (daemon, port, serving) = try startFourWorkers(driver: driver, path: try ExampleProducts.path(of: "http-daemon"),
                                                           listening: listening, arguments: arguments)
        #expect(Set(serving.map(\.pid)).count == 4)
        #expect(serving.allSatisfy { $0.fields["listener"] == "inherited" }, "every worker serves the passed socket: \(serving.map(\.text))")

        let load = LoadClient(port: port, threads: 8, mode: mode)
        load.start()
        defer { _ = try? load.stop() }
        var phases: [(name: String, successes: Int)] = []
        var failuresSoFar = 0
        /// Waits until requests succeed after the phase's operation, then checks that none
        /// failed since the last phase.
        func finishPhase(_ name: String) throws {
            let before = load.snapshot.successes
            let after = try load.waitForSuccesses(20, after: before, timeout: .seconds(60))
            phases.append((name, after.successes))
            let failed = after.failures.dropFirst(failuresSoFar)
            failuresSoFar = after.failures.count
            #expect(failed.isEmpty, "\(failed.count) requests failed during \(name), e.g. \(Array(failed.prefix(5)))\n\(daemon.tail)")
        }
        try finishPhase("steady load")

        // A rolling restart through the control socket: every worker replaced, each drained.
        var mark = daemon.cursor
        let restart = try driver.control(socket: controlSocket, ["restart", "http"])
        #expect(restart.status == .exited(0), "\(restart)")
        _ = try daemon.waitForEvent("roll-complete", from: mark, timeout: .seconds(60))
        let rolled = try daemon.waitForEvents("worker-exited", count: 4, from: mark, timeout: .seconds(60))
        #expect(rolled.allSatisfy { $0.fields["status"] == "exited:0" }, "\(rolled)")
        try finishPhase("the rolling restart")

        // Scaling down (the highest worker id drains and exits) and up again.
        for round in 1...3 {
            mark = daemon.cursor
            try driver.signal(daemon.pid, SIGTTOU)
            let down = try daemon.waitForEvent("scaled", from: mark, timeout: .seconds(30))
            #expect(down.fields["workers"] == "3", "\(down)")
            let gone = try daemon.waitForEvent("worker-exited", from: mark, timeout: .seconds(40)) {
                $0.fields["reason"] == "scaled-down"
            }
            #expect(gone.fields["status"] == "exited:0", "\(gone)")
            #expect(daemon.liveWorkers(of: "http").count == 3, "\(daemon.liveWorkers(of: "http"))")
            try finishPhase("scale-down \(round)")

            mark = daemon.cursor
            try driver.signal(daemon.pid, SIGTTIN)
            let up = try daemon.waitForEvent("scaled", from: mark, timeout: .seconds(30))
            #expect(up.fields["workers"] == "4", "\(up)")
            _ = try daemon.waitForEvent("http-serving", from: mark, timeout: .seconds(30))
            _ = try daemon.waitForEvent("worker-ready", from: mark, timeout: .seconds(30))
            #expect(daemon.liveWorkers(of: "http").count == 4, "\(daemon.liveWorkers(of: "http"))")
            try finishPhase("scale-up \(round)")
        }

        // A reload: the workers take the settings in place.
        mark = daemon.cursor
        try driver.signal(daemon.pid, SIGHUP)
        _ = try daemon.waitForEvent("reload-complete", from: mark, timeout: .seconds(30))
        _ = try daemon.waitForEvents("settings-reloaded", count: 4, from: mark, timeout: .seconds(30))
        try finishPhase("the reload")

        let steady = try load.stop()
        #expect(steady.failures.isEmpty, "\(listening), \(mode.rawValue) load: \(steady)")
        if mode == .keepAlive {
            // Only a drain ends a keep-alive connection with Connection: close.
            #expect(steady.closedByServer > 0, "draining workers ended keep-alive connections after an answer: \(steady)")
        }
        #expect(phases.allSatisfy { $0.successes > 0 })

        // SIGTERM while slow requests are in flight: each is answered during the drain.
        mark = daemon.cursor
        let slow = LoadClient(port: port, path: "/slow?ms=1500", threads: 8, mode: mode)
        slow.start()
        defer { _ = try? slow.stop() }
        _ = try daemon.waitForEvents("slow-request", count: 8, from: mark, timeout: .seconds(30))
        slow.stopIssuing()
        // Every request begun has reached a worker, so none waits in the socket's queue, which
        // a stopped daemon no longer accepts from (under systemd, its next start would).
        let begun = slow.snapshot.started
        _ = try daemon.waitForEvents("slow-request", count: begun, from: mark, timeout: .seconds(30))
        try daemon.stopAndExpectCleanExit(timeout: .seconds(40))
        let final = try slow.stop()
        #expect(final.failures.isEmpty, "\(listening), \(mode.rawValue) slow requests at SIGTERM: \(final)\n\(daemon.tail)")
        #expect(final.successes == begun && begun >= 8, "\(final)")

        let drained = daemon.events("http-drained")
        // 4 rolled, 3 scaled down, 4 stopped.
        #expect(drained.count == 4 + 3 + 4, "every worker that stopped drained once: \(drained.map(\.text))")
        #expect(drained.allSatisfy { $0.fields["forced"] == "0" }, "no drain reached its deadline: \(drained)")
        let exits = daemon.events("worker-exited")
        #expect(exits.allSatisfy { $0.fields["status"] == "exited:0" }, "\(exits)")
        try driver.expectCleanEnd()
        print("http-daemon (\(listening)) \(mode.rawValue) load: \(steady); phases: \(phases); slow requests at SIGTERM: \(final)")
    }

    /// Starts the http-daemon at `path` with `arguments` (which ask for 4 workers), listening
    /// as `listening` says, and waits until the 4 workers serve and all are ready.
    /// - Returns: the daemon, its port, and the workers' `http-serving` events.
    static func startFourWorkers(driver: Driver, path: String, listening: Listening, arguments: [String]) throws
        -> (daemon: DaemonProcess, port: Int, serving: [LogLine])
    {
        let daemon: DaemonProcess
        let port: Int
        switch listening {
        case .socketActivation:
            let listener = try ListeningSocket()
            defer { listener.close() } // the daemon holds its own copy
            daemon = try driver.spawnSocketActivated(path: path, arguments, sockets: [("http", listener.descriptor)])
            port = listener.port
        case .master:
            daemon = try driver.spawn(path: path, argv: [path, "--port", "0"] + arguments)
            port = try daemon.listenerPort(named: "http")
        }
        let serving = try daemon.waitForEvents("http-serving", count: 4, timeout: .seconds(30))
        _ = try daemon.waitForEvent("all-ready", timeout: .seconds(30))
        return (daemon, port, serving)
    }

    /// Starts `http-daemon arguments` with `listener` as the socket systemd would pass
    /// (descriptor 3, `LISTEN_FDNAMES=http`).
    static func spawnSocketActivatedHTTPDaemon(driver: Driver, listener: ListeningSocket, arguments: [String]) throws
        -> DaemonProcess
    {
        try driver.spawnSocketActivated(path: try ExampleProducts.path(of: "http-daemon"), arguments,
                                        sockets: [("http", listener.descriptor)])
    }
}
