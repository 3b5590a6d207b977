import CotyledonControlProtocol
import Glibc

/// The driver's single-threaded event loop.
///
/// Protocol (all lines UTF-8, one message per line):
///
/// Commands on stdin, `<seq> <verb> [arguments]`:
/// - `<seq> spawn {"path":…,"argv":[…],"env":[…],"stdin":…,"trigger":…,"fds":N}` → reply `pid`
///   (see `SpawnRequest`); the `N` descriptors come with the command's bytes (`SCM_RIGHTS`)
/// - `<seq> signal <pid> <SIGNAME|number>` → reply; refused unless `pid` is a descendant
/// - `<seq> ps` → reply `procs`: every descendant (orphans re-parented here included, zombies
///   included) with `pid`, `ppid`, `pgid`, `state`, `comm`, `cmdline`, `threads`
/// - `<seq> quit` → SIGKILL every descendant by pid, reap them all (emitting `exit` events),
///   reply `killed` (how many were still alive), exit 0
///
/// Messages on stdout, JSON objects, each with `type` and `t` (CLOCK_MONOTONIC seconds):
/// - `{"type":"hello","pid":P}` once, when ready for commands
/// - `{"type":"reply","seq":N,"ok":true|false,…}`; failures carry `error`
/// - `{"type":"line","pid":P,"stream":"stdout"|"stderr","text":…}` per output line of a
///   spawned process (or of a descendant writing to its inherited stream)
/// - `{"type":"closed","pid":P,"stream":…}` when every writer of that stream is gone
/// - `{"type":"exit","pid":P,"status":"exited:N"|"killed:SIGNAME"}` for every process reaped
/// - `{"type":"triggered","pid":P,"signal":…,"ok":…}` when a spawn's trigger fired (right after
///   the matching `line`)
///
/// Every line a process wrote before it exited is reported before its `exit` event.
/// End-of-file on stdin, SIGTERM, SIGINT or SIGHUP act like `quit` (without a reply).
struct TestDriver {
    private let ownPid = getpid()
    private var writer = EventWriter()
    private var pipes: [OutputPipe] = []
    /// Write ends of `"stdin": "pipe"` stdins, by pid, closed when that process is reaped.
    private var stdinWriters: [pid_t: Int32] = [:]
    /// Armed one-shot triggers, by spawned pid.
    private var triggers: [pid_t: SpawnRequest.Trigger] = [:]
    private var signalFD: Int32 = -1
    private var input: [UInt8] = []
    /// Descriptors the test process sent, not yet given to a spawned process.
    private var passed: [Int32] = []
    /// More descriptors were sent than one read could take: the next `spawn` that asks for
    /// some fails rather than hand out the wrong ones.
    private var lostDescriptors = false

    /// Runs until `quit`, end-of-file on stdin or a terminating signal; never returns.
    mutating func run() -> Never {
        setUp()
        writer.emit([("type", .string("hello")), ("pid", .number(Double(ownPid)))])
        while true {
            var fds = [
                pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
            ]
            let open = pipes.filter { !$0.isClosed }
            fds += open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                fail("poll: \(String(cString: strerror(errno)))")
            }
            for (index, pipe) in open.enumerated() where fds[index + 2].revents != 0 {
                emitLines(of: pipe)
            }
            pipes.removeAll { $0.isClosed }
            if fds[1].revents != 0 { handleSignals() }
            if fds[0].revents != 0 { readCommands() }
        }
    }

    private mutating func setUp() {
        let parent = getppid()
        Descriptors.closeInherited()
        // Block first: from here on SIGTERM (also the parent-death signal) is read from the
        // signalfd and leads to the clean-up, never to the default action.
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in [SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, signal) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        signal(SIGPIPE, SIG_IGN)
        signalFD = LinuxCalls.signalfd(&mask, flags: LinuxCalls.sfdCloexec | LinuxCalls.sfdNonblock)
        guard signalFD >= 0 else { fail("signalfd: \(String(cString: strerror(errno)))") }
        guard LinuxCalls.prctl(LinuxCalls.prSetChildSubreaper, 1) == 0 else {
            fail("PR_SET_CHILD_SUBREAPER: \(String(cString: strerror(errno)))")
        }
        // SIGTERM, not SIGKILL: the driver must still kill its descendants when the test runner dies.
        guard LinuxCalls.prctl(LinuxCalls.prSetPdeathsig, UInt(SIGTERM)) == 0 else {
            fail("PR_SET_PDEATHSIG: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(0, F_SETFD, FD_CLOEXEC)
        _ = fcntl(1, F_SETFD, FD_CLOEXEC)
        if getppid() != parent { shutDown(reply: nil) }  // parent died before PDEATHSIG was armed
    }

    // MARK: Output and reaping

    private mutating func emitLines(of pipe: OutputPipe) {
        let (lines, reachedEnd) = pipe.drain()
        for line in lines {
            writer.emit([
                ("type", .string("line")), ("pid", .number(Double(pipe.pid))),
                ("stream", .string(pipe.stream)), ("text", .string(line)),
            ])
            if let trigger = triggers[pipe.pid], line.contains(trigger.match) {
                triggers[pipe.pid] = nil
                fire(trigger, at: pipe.pid)
            }
        }
        if reachedEnd {
            writer.emit([
                ("type", .string("closed")), ("pid", .number(Double(pipe.pid))),
                ("stream", .string(pipe.stream)),
            ])
        }
    }

    private mutating func handleSignals() {
        var buffer = [UInt8](repeating: 0, count: LinuxCalls.signalfdSiginfoSize * 16)
        var terminate = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(signalFD, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            for offset in stride(from: 0, to: count, by: LinuxCalls.signalfdSiginfoSize) {
                let signal = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
                if Int32(signal) != SIGCHLD { terminate = true }
            }
        }
        reapAvailable(blocking: false)
        if terminate { shutDown(reply: nil) }
    }

    /// Sends a trigger's signal and reports it as `{"type":"triggered","pid":P,"signal":…,"ok":…}`.
    private mutating func fire(_ trigger: SpawnRequest.Trigger, at pid: pid_t) {
        var failure: String? = "\(pid) is gone"
        if let entry = ProcessEntry(pid: pid) {
            failure = Self.signalVerified(pid, startTime: entry.startTime, signal: trigger.signal, root: ownPid)
        }
        var message: [(String, JSONValue)] = [
            ("type", .string("triggered")), ("pid", .number(Double(pid))),
            ("signal", .string(SignalName.name(of: trigger.signal))), ("ok", .bool(failure == nil)),
        ]
        if let failure { message.append(("error", .string(failure))) }
        writer.emit(message)
    }

    /// Reaps every exited child, then drains all pipes, then reports the exits, so that the
    /// lines a process wrote before exiting come before its `exit` event.
    private mutating func reapAvailable(blocking: Bool) {
        var reaped: [(pid_t, WaitStatus)] = []
        var options = blocking ? Int32(0) : WNOHANG
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, options)
            if pid > 0 {
                reaped.append((pid, WaitStatus(raw: status)))
                options = WNOHANG
            } else if pid < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        guard !reaped.isEmpty else { return }
        for pipe in pipes where !pipe.isClosed { emitLines(of: pipe) }
        pipes.removeAll { $0.isClosed }
        for (pid, status) in reaped {
            if let fd = stdinWriters.removeValue(forKey: pid) { close(fd) }
            triggers[pid] = nil
            writer.emit([
                ("type", .string("exit")), ("pid", .number(Double(pid))),
                ("status", .string(status.description)),
            ])
        }
    }

    // MARK: Commands

    private mutating func readCommands() {
        guard let chunk = CommandReader.read(0) else {
            if errno == EINTR || errno == EAGAIN { return }
            shutDown(reply: nil)
        }
        passed += chunk.descriptors
        if chunk.truncated { lostDescriptors = true }
        if chunk.bytes.isEmpty { shutDown(reply: nil) }  // the test process is gone
        input.append(contentsOf: chunk.bytes)
        while let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: input[..<newline], as: UTF8.self)
            input.removeSubrange(...newline)
            execute(line)  // may not return (`quit`)
        }
    }

    private mutating func execute(_ line: String) {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2, let seq = Int(parts[0]) else {
            writer.emit([("type", .string("reply")), ("ok", .bool(false)), ("error", .string("malformed: \(line)"))])
            return
        }
        let argument = parts.count > 2 ? parts[2] : ""
        var reply: [(String, JSONValue)] = [("type", .string("reply")), ("seq", .number(Double(seq)))]
        switch parts[1] {
        case "spawn":
            reply += spawn(argument)
        case "signal":
            reply += sendSignal(argument)
        case "ps":
            let procs = ProcessTable.descendants(of: ownPid).map(\.json)
            reply += [("ok", .bool(true)), ("procs", .array(procs))]
        case "quit":
            shutDown(reply: reply)
        default:
            reply += [("ok", .bool(false)), ("error", .string("unknown command \(parts[1])"))]
        }
        writer.emit(reply)
    }

    private mutating func spawn(_ argument: String) -> [(String, JSONValue)] {
        let request: SpawnRequest
        do {
            guard let decoded = SpawnRequest(try JSONParser.parse(Array(argument.utf8))) else {
                return [("ok", .bool(false)), ("error", .string("spawn needs {\"path\",\"argv\"[,\"env\",\"stdin\",\"trigger\",\"fds\"]}"))]
            }
            request = decoded
        } catch {
            return [("ok", .bool(false)), ("error", .string("bad JSON: \(error)"))]
        }
        guard request.descriptorCount == 0 || (!lostDescriptors && passed.count >= request.descriptorCount) else {
            let error = lostDescriptors ? "descriptors sent with the commands were lost (more than \(CommandReader.maximumDescriptors) in one read)"
                : "spawn asks for \(request.descriptorCount) descriptors, \(passed.count) were sent"
            passed.forEach { close($0) }
            passed = []
            lostDescriptors = false
            return [("ok", .bool(false)), ("error", .string(error))]
        }
        let handed = Array(passed.prefix(request.descriptorCount))
        passed.removeFirst(handed.count)
        defer { handed.forEach { close($0) } }
        switch Spawner.spawn(request, passing: handed) {
        case .success(let spawned):
            pipes += [spawned.stdout, spawned.stderr]
            if spawned.stdinWriter >= 0 { stdinWriters[spawned.pid] = spawned.stdinWriter }
            if let trigger = request.trigger { triggers[spawned.pid] = trigger }
            return [("ok", .bool(true)), ("pid", .number(Double(spawned.pid)))]
        case .failure(let error):
            return [("ok", .bool(false)), ("error", .string(error.description))]
        }
    }

    private func sendSignal(_ argument: String) -> [(String, JSONValue)] {
        let words = argument.split(separator: " ").map(String.init)
        guard words.count == 2, let pid = pid_t(words[0]), pid > 1, let signal = SignalName.number(of: words[1]) else {
            return [("ok", .bool(false)), ("error", .string("usage: signal <pid> <SIGNAME>"))]
        }
        guard let entry = ProcessEntry(pid: pid),
              ProcessTable.isDescendant(pid, startTime: entry.startTime, of: ownPid)
        else {
            return [("ok", .bool(false)), ("error", .string("\(pid) is not a descendant of the driver"))]
        }
        if let failure = Self.signalVerified(pid, startTime: entry.startTime, signal: signal, root: ownPid) {
            return [("ok", .bool(false)), ("error", .string(failure))]
        }
        return [("ok", .bool(true))]
    }

    /// Signals `pid` through a pidfd after checking, with the pidfd held, that it is still the
    /// descendant that was found; a recycled pid is never signalled.
    /// - Returns: `nil` on success, or why it failed.
    private static func signalVerified(_ pid: pid_t, startTime: UInt64, signal: Int32, root: pid_t) -> String? {
        let pidfd = LinuxCalls.pidfdOpen(pid)
        guard pidfd >= 0 else { return "pidfd_open \(pid): \(String(cString: strerror(errno)))" }
        defer { close(pidfd) }
        guard ProcessTable.isDescendant(pid, startTime: startTime, of: root) else {
            return "\(pid) is no longer a descendant of the driver"
        }
        guard LinuxCalls.pidfdSendSignal(pidfd, signal) == 0 else {
            return "pidfd_send_signal \(pid): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    // MARK: Shutdown

    /// SIGKILLs every descendant by pid until none is left, reaping all of them, then exits.
    private mutating func shutDown(reply: [(String, JSONValue)]?) -> Never {
        triggers.removeAll()
        var killed = Set<pid_t>()
        while true {
            let descendants = ProcessTable.descendants(of: ownPid)
            if descendants.isEmpty { break }
            for entry in descendants where entry.state != "Z" && !killed.contains(entry.pid) {
                if Self.signalVerified(entry.pid, startTime: entry.startTime, signal: SIGKILL, root: ownPid) == nil {
                    killed.insert(entry.pid)
                }
            }
            // Killed processes die and their children are re-parented here; wait for the next.
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid > 0 {
                for pipe in pipes where !pipe.isClosed { emitLines(of: pipe) }
                writer.emit([
                    ("type", .string("exit")), ("pid", .number(Double(pid))),
                    ("status", .string(WaitStatus(raw: status).description)),
                ])
                reapAvailable(blocking: false)
            } else if errno == ECHILD {
                // Descendants exist but none is a child yet: a re-parenting is in flight.
                var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
                nanosleep(&pause, nil)
            }
        }
        if let reply {
            writer.emit(reply + [("ok", .bool(true)), ("killed", .number(Double(killed.count)))])
        }
        exit(0)
    }

    private func fail(_ message: String) -> Never {
        let text = "cotyledon-test-driver: \(message)\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        exit(70)
    }
}
