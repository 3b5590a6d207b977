import CCotyledonLinux
internal import CotyledonControlProtocol
import Glibc
import Logging
import SystemPackage

/// The control socket, served from the master's loop: non-blocking accepts and I/O,
/// bounded request size and client count, a few requests per client per loop turn,
/// per-client buffers with back-pressure, deadlines that only progress renews, peers
/// checked with `SO_PEERCRED`. A slow, flooding or stuck client costs the loop nothing but
/// its bounded buffers; supervision never waits for one.
extension Master {
    static let controlListenerToken = UInt64.max - 1
    static let controlClientTokenBase: UInt64 = 1 << 40
    /// Clients served at once; more are answered `busy` and closed.
    static let maximumControlClients = 64

    // MARK: - Connections

    func acceptControlClients() {
        guard let control else { return }
        let flags = Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        while true {
            let descriptor: FileDescriptor
            do {
                guard let accepted = try Syscall.accept(control.descriptor, flags: flags) else { return }
                descriptor = accepted
            } catch .tooManyOpenFiles, .tooManyOpenFilesInSystem {
                if shedConnectionWithReserveDescriptor(control) { continue }
                return
            } catch {
                return
            }
            guard let uid = try? Syscall.peerUserID(of: descriptor), uid == 0 || uid == geteuid() else {
                reject(descriptor, ControlError(.permissionDenied, "only root and uid \(geteuid()) may control this daemon"))
                continue
            }
            guard controlClients.count < Self.maximumControlClients else {
                reject(descriptor, ControlError(.busy, "too many control clients (\(Self.maximumControlClients)); retry later"))
                continue
            }
            nextControlClientID += 1
            let client = ControlClient(id: Self.controlClientTokenBase + nextControlClientID, descriptor: descriptor, now: .now)
            controlClients[client.id] = client
            do {
                try events.add(descriptor, token: client.id)
            } catch {
                closeControlClient(client)
            }
        }
    }

    /// Out of descriptors: free the reserve one, accept and drop a waiting connection so
    /// the listener does not stay readable forever (no spinning), then re-arm the reserve.
    private func shedConnectionWithReserveDescriptor(_ control: ControlSocket) -> Bool {
        guard reserveDescriptor >= 0 else { return false }
        Syscall.close(FileDescriptor(rawValue: reserveDescriptor))
        let dropped = (try? Syscall.accept(control.descriptor, flags: Int32(SOCK_CLOEXEC.rawValue))) ?? nil
        if let dropped { Syscall.close(dropped) }
        reserveDescriptor = (try? Syscall.open("/dev/null", O_RDONLY | O_CLOEXEC)) ?? -1
        logger.warning("out of file descriptors: a control connection was dropped", metadata: ["event": .event(.controlEmfile)])
        return dropped != nil
    }

    private func reject(_ descriptor: FileDescriptor, _ failure: ControlError) {
        let line = Self.encode(failure)
        _ = line.withUnsafeBytes { bytes in try? Syscall.send(descriptor, bytes) }
        Syscall.close(descriptor)
    }

    func closeControlClient(_ client: ControlClient) {
        client.isClosed = true
        controlClients[client.id] = nil
        Syscall.close(client.descriptor) // also removes it from epoll
    }

    /// Reads requests, answers a few of them, writes what the socket takes.
    func serviceControlClient(token: UInt64, events ready: UInt32) {
        guard let client = controlClients[token] else { return }
        let now = MonotonicInstant.now
        if ready & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            client.peerGone = true
            client.output.removeAll()
        }
        if ready & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readControlInput(client, now: now)
        }
        answerControlRequests(client, now: now)
        writeControlOutput(client, now: now)
    }

    /// Reads what the socket holds, up to ``ControlClient/maximumPendingInput`` buffered;
    /// notes the end of the client's input.
    private func readControlInput(_ client: ControlClient, now: MonotonicInstant) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while !client.inputEnded && client.input.count <= ControlClient.maximumPendingInput {
            let received: Int?
            do {
                received = try Syscall.receive(client.descriptor, into: &chunk)
            } catch {
                client.inputEnded = true // a failed socket ends the input as end of file does
                return
            }
            guard let count = received else { return }
            guard count > 0 else {
                client.inputEnded = true
                return
            }
            client.receive(chunk[0..<count], now: now)
        }
    }

    /// Answers at most ``ControlClient/requestsPerTurn`` of `client`'s requests, fewer when its
    /// unread answers reach ``ControlClient/maximumPendingOutput``.
    private func answerControlRequests(_ client: ControlClient, now: MonotonicInstant) {
        for _ in 0..<ControlClient.requestsPerTurn where client.hasAnswerableRequests {
            switch client.takeRequest(now: now) {
            case .line(let line):
                guard !line.isEmpty, let response = handleControlRequest(line, from: client), !client.peerGone else { continue }
                client.output += response
            case .tooLarge:
                client.output += Self.encode(ControlError(.requestTooLarge, "requests are limited to \(ControlClient.maximumRequestSize) bytes"))
                client.discardInput()
                client.closeAfterWrite = true
                return
            case .none:
                return
            }
        }
    }

    /// Flushes `client`'s output and closes it when the conversation is over; otherwise
    /// watches it for input only while it may send more, for output only while some is left.
    func writeControlOutput(_ client: ControlClient, now: MonotonicInstant = .now) {
        guard !client.isClosed else { return }
        guard client.peerGone || client.flush(now: now) else {
            closeControlClient(client)
            return
        }
        if client.isFinished {
            closeControlClient(client)
            return
        }
        events.modify(client.descriptor.rawValue, token: client.id, readable: client.wantsInput,
                      writable: !client.output.isEmpty && !client.peerGone)
    }

    /// Answers the requests left over from earlier turns, then closes the clients past a
    /// deadline: idle (no byte read or written) or with a request still incomplete.
    func serviceControlClients(now: MonotonicInstant) {
        for client in controlClients.values where client.hasAnswerableRequests {
            answerControlRequests(client, now: now)
            writeControlOutput(client, now: now)
        }
        for client in controlClients.values where client.deadline.map({ $0 <= now }) ?? false {
            closeControlClient(client)
        }
    }

    /// The nearest control deadline: now when requests wait to be answered, else the
    /// clients' nearest deadline.
    var nextControlDeadline: MonotonicInstant? {
        if controlClients.values.contains(where: \.hasAnswerableRequests) { return .now }
        return controlClients.values.compactMap(\.deadline).min()
    }

    /// Answers the clients waiting for a reload (`reload --wait`).
    func answerReloadWaiters(failure: String?) {
        for client in controlClients.values where client.waitsForReload {
            client.waitsForReload = false
            if !client.peerGone {
                client.output += failure.map { Self.encode(ControlError(.reloadFailed, $0)) } ?? Self.encode(.object(["v": .integer(1), "ok": .bool(true)]))
            }
            writeControlOutput(client)
        }
    }

    // MARK: - Requests

    /// The response line for one request, or `nil` when it is answered later (reload --wait).
    private func handleControlRequest(_ line: [UInt8], from client: ControlClient) -> [UInt8]? {
        let request: ControlRequest
        do {
            request = try ControlRequest(line: line)
        } catch {
            return Self.encode(error)
        }
        guard request.v == 1 else {
            return Self.encode(ControlError(.unsupportedVersion, "protocol version \(request.v) is not supported; this daemon speaks version 1"))
        }
        do {
            return try perform(request, for: client)
        } catch let failure as ControlError {
            return Self.encode(failure)
        } catch {
            return Self.encode(ControlError(.badRequest, "\(error)"))
        }
    }

    private func perform(_ request: ControlRequest, for client: ControlClient) throws -> [UInt8]? {
        if request.command == "status" {
            return Self.encode(status().json)
        }
        if request.command == "metrics" {
            return Self.encode(.object(["v": .integer(1), "ok": .bool(true), "format": .string("prometheus-text-0.0.4"),
                                        "text": .string(metricsExposition())]))
        }
        if request.command == "stop" {
            beginStop(fast: request.fast ?? false)
            return Self.encode(.object(["v": .integer(1), "ok": .bool(true)]))
        }
        guard lifecycle.isSupervising else {
            throw ControlError(.stopping, "the daemon is stopping")
        }
        switch request.command {
        case "scale":
            let service = try namedService(request.service)
            guard let workers = request.workers else { throw ControlError(.badRequest, "scale needs \"workers\"") }
            let bounds = service.configuration.minWorkers...service.configuration.maxWorkers
            guard bounds.contains(workers) else {
                throw ControlError(.invalidWorkers, "\(service.name) takes \(bounds.lowerBound)...\(bounds.upperBound) workers, not \(workers)")
            }
            scale(service, to: workers)
            return Self.encode(.object(["v": .integer(1), "ok": .bool(true), "workers": .integer(workers)]))
        case "reload":
            if request.wait == true { client.waitsForReload = true }
            reload()
            return request.wait == true ? nil : Self.encode(.object(["v": .integer(1), "ok": .bool(true)]))
        case "restart":
            let service = try namedService(request.service)
            if let workerID = request.worker {
                guard let worker = pools[service.id.rawValue][workerID].worker else {
                    throw ControlError(.unknownWorker, "\(service.name) has no running worker \(workerID)")
                }
                restart(worker)
            } else {
                restart(service)
            }
            return Self.encode(.object(["v": .integer(1), "ok": .bool(true)]))
        case "log-level":
            guard let name = request.level, let level = Logger.Level(rawValue: name) else {
                throw ControlError(.badRequest, "log-level needs \"level\": one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // Logged at the more verbose of the two levels, so the change itself shows.
            let previous = logger.logLevel
            logger.logLevel = min(previous, level)
            logger.notice("log level set to \(level)", metadata: ["event": .event(.logLevel), "level": "\(level)"])
            logger.logLevel = level
            // Running workers follow at their next record.
            DaemonLogLevel.shared?.level = level
            return Self.encode(.object(["v": .integer(1), "ok": .bool(true)]))
        default:
            throw ControlError(.unknownCommand, "unknown command \"\(request.command)\": use status, metrics, scale, reload, stop, restart or log-level")
        }
    }

    private func namedService(_ name: String?) throws -> ServiceRegistration {
        guard let name else { throw ControlError(.badRequest, "this command needs \"service\"") }
        guard let service = services.first(where: { $0.name == name }) else {
            throw ControlError(.unknownService, "no service \"\(name)\": this daemon runs \(services.map(\.name).joined(separator: ", "))")
        }
        return service
    }

    private func status() -> ControlStatus {
        let now = MonotonicInstant.now
        return ControlStatus(
            pid: getpid(), phase: lifecycle.isSupervising ? "running" : "stopping",
            services: pools.map { pool in
                let service = pool.service
                let members = children.workers.values.filter { $0.service === service }.sorted { ($0.workerID, $0.pid) < ($1.workerID, $1.pid) }
                return ControlStatus.Service(
                    name: service.name, configured: service.desiredWorkers,
                    running: members.count, ready: pool.readyCount,
                    restarts: pool.restarts,
                    workers: members.map { worker in
                        ControlStatus.Worker(
                            id: worker.workerID, pid: worker.pid,
                            state: worker.stopRequest != nil ? "stopping" : worker.isReady ? "ready" : "starting",
                            uptime: (now - worker.startedAt).secondsValue,
                            restarts: pool[worker.workerID].restarts,
                            lastExit: pool[worker.workerID].lastExit)
                    })
            })
    }

    // MARK: - Encoding

    static func encode(_ failure: ControlError) -> [UInt8] {
        failure.line
    }

    static func encode(_ response: JSONValue) -> [UInt8] {
        Array(response.text.utf8) + [0x0A]
    }
}
