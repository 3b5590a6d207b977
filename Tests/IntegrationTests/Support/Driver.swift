import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test side of `cotyledon-test-driver`: starts the driver, sends it commands and collects
/// its reports (output lines, exits) on a reader thread of its own.
///
/// Every wait has a deadline and throws a ``DriverError`` with the relevant log tail when it
/// passes. The reader thread is also the thread that spawned the driver and it lives until the
/// driver is reaped, because the driver's `PR_SET_PDEATHSIG` is bound to that thread.
///
/// ```swift
/// let driver = try Driver()
/// defer { driver.close() }  // always: the reader thread keeps the driver object alive
/// let demo = try driver.spawn("cotyledon-demo", ["--workers", "3"])
/// let ready = try demo.waitForEvents("worker-ready", count: 3)
/// try driver.signal(demo.pid, SIGTERM)
/// #expect(try demo.waitForExit().status == .exited(0))
/// try driver.expectCleanEnd()
/// ```
///
/// Set `COTYLEDON_TEST_TRACE=1` to copy every report of the driver to stderr as it arrives.
///
/// - Important: Checks passed to the waits run under the driver's lock; they must not call
///   back into the driver.
final class Driver: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`; `commandLock` serialises writes.
    private let condition = NSCondition()
    private let commandLock = NSLock()
    private var state = DriverState()
    private var launched: DriverLauncher.Launched?
    private var nextSequence = 1
    private var isClosed = false
    /// The driver's own pid.
    private(set) var driverPid: Int32 = 0

    /// Starts a driver and waits until it is ready for commands.
    /// The `RUNTIME_DIRECTORY` of everything this driver spawns (removed by ``close()``).
    let runtimeDirectory = NSTemporaryDirectory() + "cotyledon-runtime-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: runtimeDirectory, withIntermediateDirectories: true)
        let path = try BuildProducts.path(of: "cotyledon-test-driver")
        let thread = Thread { [self] in self.readerThreadMain(driverPath: path) }
        thread.name = "cotyledon-test-driver reader"
        thread.start()
        do {
            driverPid = try wait(for: "the driver to start", timeout: .seconds(10)) { state in
                if let error = state.launchError { throw error }
                return state.ready ? state.driverPid : nil
            }
        } catch {
            close()
            throw error
        }
    }

    // MARK: Commands

    /// What a spawned process gets as stdin.
    enum Stdin: String {
        /// `/dev/null`.
        case null
        /// A pipe the driver holds open and never writes to (like an idle terminal).
        case pipe
    }

    /// A signal the driver sends to a process it spawned by itself, as soon as it reads the first
    /// output line containing `match` (no round trip through the test process).
    struct Trigger {
        let match: String
        let signal: String
    }

    /// Spawns the executable product `product` with `argv = [product] + arguments`, as a shell
    /// would start it from `PATH`.
    /// - Parameters:
    ///   - environment: `KEY=VALUE` entries added to the inherited environment.
    ///   - stdin: `/dev/null` by default.
    ///   - trigger: a signal for the driver to send on a given output line; see
    ///     ``DaemonProcess/waitForTrigger(timeout:)``.
    func spawn(
        _ product: String, _ arguments: [String] = [], environment: [String] = [], stdin: Stdin = .null,
        trigger: Trigger? = nil
    ) throws -> DaemonProcess {
        try spawn(path: BuildProducts.path(of: product), argv: [product] + arguments, environment: environment,
                  stdin: stdin, trigger: trigger)
    }

    /// Spawns the executable at `path` with `arguments` as systemd socket activation starts a
    /// service: `sockets` are its descriptors 3, 4, … named by `LISTEN_FDNAMES`, and a shell
    /// that becomes the program names its own pid in `LISTEN_PID`; `environment` is added.
    func spawnSocketActivated(path: String, _ arguments: [String], sockets: [(name: String, descriptor: Int32)],
                              environment: [String] = []) throws -> DaemonProcess
    {
        try spawn(
            path: "/bin/sh", argv: ["sh", "-c", "export LISTEN_PID=$$; exec \"$@\"", "sh", path] + arguments,
            environment: ["LISTEN_FDS=\(sockets.count)", "LISTEN_FDNAMES=\(sockets.map(\.name).joined(separator: ":"))"] + environment,
            descriptors: sockets.map(\.descriptor))
    }

    /// Spawns the executable at `path` with the argument vector `argv`.
    /// - Parameter descriptors: descriptors of the test process the process gets as 3, 4, …
    ///   (as systemd passes sockets; the caller keeps its own and sets `LISTEN_*` itself).
    func spawn(
        path: String, argv: [String], environment: [String] = [], stdin: Stdin = .null, trigger: Trigger? = nil,
        descriptors: [Int32] = []
    ) throws -> DaemonProcess {
        // A private RUNTIME_DIRECTORY: daemons' default control sockets never meet another
        // test's, or a daemon a developer runs on the same machine.
        var environment = environment
        if !environment.contains(where: { $0.hasPrefix("RUNTIME_DIRECTORY=") }) {
            environment.append("RUNTIME_DIRECTORY=\(runtimeDirectory)")
        }
        var request: [String: Any] = ["path": path, "argv": argv, "env": environment, "stdin": stdin.rawValue]
        if let trigger {
            request["trigger"] = ["match": trigger.match, "signal": trigger.signal]
        }
        if !descriptors.isEmpty {
            request["fds"] = descriptors.count
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let reply = try command("spawn", json, passing: descriptors)
        guard let pid = reply.pid else { throw DriverError("spawn reply without pid") }
        return DaemonProcess(driver: self, pid: pid, argv: argv, spawnTime: reply.t)
    }

    /// Sends `signal` to `pid`, which must be a descendant of the driver.
    /// - Returns: CLOCK_MONOTONIC seconds just after the signal was sent.
    @discardableResult
    func signal(_ pid: Int32, _ signal: Int32) throws -> Double {
        try command("signal", "\(pid) \(signal)").t
    }

    /// Every living descendant of the driver (zombies included), in breadth-first order.
    func ps() throws -> [ProcessSnapshot] {
        try command("ps").procs ?? []
    }

    /// Sends one command (with `descriptors` attached to its first byte) and waits for its reply.
    private func command(
        _ verb: String, _ argument: String = "", passing descriptors: [Int32] = [], timeout: Duration = .seconds(10)
    ) throws -> DriverMessage {
        condition.lock()
        let sequence = nextSequence
        nextSequence += 1
        let fd = launched?.commands ?? -1
        condition.unlock()
        let line = Array("\(sequence) \(verb) \(argument)\n".utf8)
        commandLock.lock()
        var offset = 0
        while offset < line.count {
            let count = line.withUnsafeBytes { bytes in
                offset == 0 && !descriptors.isEmpty
                    ? DescriptorPassing.send(fd, bytes, descriptors: descriptors)
                    : send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                commandLock.unlock()
                throw DriverError("cannot send \(verb) to the driver: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        commandLock.unlock()
        let reply = try wait(for: "the driver's reply to \(verb)", timeout: timeout) { state in
            state.replies.removeValue(forKey: sequence)
        }
        guard reply.ok == true else {
            throw DriverError("driver: \(verb) \(argument) failed: \(reply.error ?? "no reason given")")
        }
        return reply
    }

    // MARK: Waiting

    /// Waits until `check` returns a value, re-evaluating it whenever the driver reports something.
    ///
    /// - Parameters:
    ///   - what: what is awaited, for the failure message.
    ///   - timeout: the deadline, from now.
    ///   - tail: evidence for the failure message; the driver's journal by default.
    ///   - check: runs under the lock with the current state; `nil` means "not yet".
    func wait<T>(
        for what: String,
        timeout: Duration,
        tail: ((DriverState) -> String)? = nil,
        _ check: (inout DriverState) throws -> T?
    ) throws -> T {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = try check(&state) { return value }
            if state.finished {
                let evidence = tail?(state) ?? state.journalTail()
                throw DriverError("the driver exited while waiting for \(what)\n--- log tail ---\n\(evidence)")
            }
            if !condition.wait(until: deadline) {
                if let value = try check(&state) { return value }
                throw DriverError(
                    "timed out after \(timeout) waiting for \(what)\n--- log tail ---\n\(tail?(state) ?? state.journalTail())"
                )
            }
        }
    }

    /// Reads the state under the lock.
    func read<T>(_ body: (DriverState) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(state)
    }

    /// Waits until the driver reaps `pid` (a process it spawned, or an orphan re-parented to it).
    /// - Returns: the exit status and the CLOCK_MONOTONIC time the driver reaped it.
    func waitForReap(of pid: Int32, timeout: Duration = .seconds(10)) throws -> (status: ExitStatus, time: Double) {
        try wait(for: "process \(pid) to be reaped", timeout: timeout) { state in state.exits[pid] }
    }

    /// Pids the driver reaped, in order.
    var reapedPids: [Int32] {
        read { $0.reapOrder }
    }

    // MARK: Clean-up checks

    /// Waits until the driver has no descendant at all (a zombie counts), polling `/proc`
    /// through `ps` every 20 ms: "nothing left" is a settled state, the one thing polled.
    /// - Throws: ``DriverError`` listing what is still there at the deadline.
    func waitForNoDescendants(timeout: Duration = .seconds(5)) throws {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        var left = try ps()
        while !left.isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            left = try ps()
        }
        guard left.isEmpty else {
            let zombies = left.filter { $0.state == "Z" }.count
            throw DriverError(
                "\(left.count) process(es) left (\(zombies) zombie) after waiting \(timeout):\n"
                    + left.map(\.description).joined(separator: "\n")
                    + "\n--- log tail ---\n" + read { $0.journalTail() }
            )
        }
    }

    /// Signals whose delivery means a crash (the Swift runtime traps with SIGILL or SIGTRAP).
    static let crashSignals: Set<String> = ["SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGSYS"]

    /// Checks that no process crashed: none the driver reaped and no `worker-exited` a daemon
    /// logged died of a crash signal, and no output shows Swift's backtracer or a fatal error.
    /// - Throws: ``DriverError`` with the evidence.
    func expectNoCrash() throws {
        let evidence: [String] = read { state in
            var found: [String] = []
            for (pid, exit) in state.exits {
                if case .killed(let signal) = exit.status, Self.crashSignals.contains(signal) {
                    found.append("process \(pid) \(exit.status)")
                }
            }
            for line in state.output.values.joined() {
                if line.text.contains("Program crashed:") || line.text.contains("Fatal error:") {
                    found.append(line.description)
                }
                if line.log?.event == "worker-exited", let status = line.log?.fields["status"],
                   case .killed(let signal)? = ExitStatus(status), Self.crashSignals.contains(signal) {
                    found.append(line.description)
                }
            }
            return found
        }
        guard evidence.isEmpty else {
            throw DriverError("a process crashed:\n" + evidence.joined(separator: "\n"))
        }
    }

    /// Ends a test: checks that nothing it started is left (no descendant of the driver, zombies
    /// included, by their `/proc` state), quits the driver and checks that it had nothing to
    /// kill, and checks that nothing crashed (``expectNoCrash()``).
    /// - Throws: ``DriverError`` listing what was left or what crashed.
    func expectCleanEnd(timeout: Duration = .seconds(5)) throws {
        try waitForNoDescendants(timeout: timeout)
        let reply = try command("quit")
        guard reply.killed == 0 else {
            throw DriverError("the driver had to kill \(reply.killed ?? -1) process(es) on quit")
        }
        try expectNoCrash()
    }

    /// Stops the driver: it SIGKILLs and reaps whatever is left. Idempotent; call it in a `defer`
    /// right after creating the driver.
    func close() {
        condition.lock()
        if isClosed {
            condition.unlock()
            return
        }
        isClosed = true
        try? FileManager.default.removeItem(atPath: runtimeDirectory)
        let fd = launched?.commands ?? -1
        condition.unlock()
        guard fd >= 0 else { return }
        // Closing the driver's stdin is `quit` without a reply.
        commandLock.lock()
        Glibc.close(fd)
        commandLock.unlock()
        _ = try? wait(for: "the driver to exit", timeout: .seconds(10)) { state in state.finished ? true : nil }
    }

    // MARK: Reader thread

    private func readerThreadMain(driverPath: String) {
        let launched: DriverLauncher.Launched
        do {
            launched = try DriverLauncher.launch(path: driverPath)
        } catch {
            condition.lock()
            state.launchError = error as? DriverError ?? DriverError("\(error)")
            condition.broadcast()
            condition.unlock()
            return
        }
        condition.lock()
        self.launched = launched
        condition.unlock()

        let decoder = JSONDecoder()
        let trace = ProcessInfo.processInfo.environment["COTYLEDON_TEST_TRACE"] == "1"
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(launched.events, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            var messages: [DriverMessage] = []
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(pending[start..<newline])
                start = newline + 1
                if let message = try? decoder.decode(DriverMessage.self, from: line) {
                    messages.append(message)
                } else {
                    let text = String(decoding: line, as: UTF8.self)
                    messages.append(DriverMessage(type: "unparsable: \(text)", t: 0, seq: nil, ok: nil, error: nil,
                                                  pid: nil, stream: nil, text: nil, status: nil, signal: nil,
                                                  procs: nil, killed: nil))
                }
            }
            pending.removeSubrange(..<start)
            condition.lock()
            let journalStart = state.journal.count
            for message in messages { state.record(message) }
            let recorded = trace ? state.journal[journalStart...].joined(separator: "\n") : ""
            condition.broadcast()
            condition.unlock()
            if trace && !recorded.isEmpty {
                FileHandle.standardError.write(Data((recorded + "\n").utf8))
            }
        }
        Glibc.close(launched.events)
        var status: Int32 = 0
        while waitpid(launched.pid, &status, 0) < 0 && errno == EINTR {}
        condition.lock()
        state.finished = true
        if status != 0 {
            state.journal.append("driver exited with wait status \(status)")
        }
        condition.broadcast()
        condition.unlock()
    }
}
