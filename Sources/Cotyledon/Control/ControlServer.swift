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
///
/// It owns the listening socket, its clients and a reserve descriptor; requests are decoded
/// into ``ControlCommand``s and performed by its ``ControlCommandPerformer`` (the master),
/// whose epoll instance it registers its descriptors with.
final class ControlServer {
    /// The epoll token of the listening socket.
    static let listenerToken = UInt64.max - 1
    /// Client tokens are this plus the client's number.
    static let clientTokenBase: UInt64 = 1 << 40
    /// Clients served at once; more are answered `busy` and closed.
    static let maximumClients = 64

    /// The listening socket.
    let socket: ControlSocket
    private let events: EventPoll
    private unowned let performer: any ControlCommandPerformer
    private var clients: [UInt64: ControlClient] = [:]
    private var clientsAccepted: UInt64 = 0
    /// A spare descriptor given up to accept (and drop) a connection when out of descriptors.
    private var reserveDescriptor: Int32 = -1

    /// Listens at `path` (see ``ControlSocket/init(path:)``), watched by `events`, and keeps
    /// a reserve descriptor.
    init(path: String, events: EventPoll, performer: any ControlCommandPerformer) throws(ControlSocketError) {
        socket = try ControlSocket(path: path)
        self.events = events
        self.performer = performer
        try? events.add(socket.descriptor, token: Self.listenerToken)
        reserveDescriptor = (try? Syscall.open("/dev/null", O_RDONLY | O_CLOEXEC)) ?? -1
    }

    /// Serves the control socket the master's previous image listened on.
    init(adopting socket: ControlSocket, events: EventPoll, performer: any ControlCommandPerformer) {
        self.socket = socket
        self.events = events
        self.performer = performer
        try? events.add(socket.descriptor, token: Self.listenerToken)
        reserveDescriptor = (try? Syscall.open("/dev/null", O_RDONLY | O_CLOEXEC)) ?? -1
    }

    /// Takes over the clients of the master's previous image that wait for the answer of
    /// the reload or upgrade they asked for: answered by ``answerWaiters(for:failure:)``.
    func adoptWaitingClients(_ waiting: [(descriptor: FileDescriptor, awaiting: ControlAwaited)]) {
        let now = MonotonicInstant.now
        for (descriptor, awaiting) in waiting {
            clientsAccepted += 1
            let client = ControlClient(adopting: descriptor, awaiting: awaiting, id: Self.clientTokenBase + clientsAccepted, now: now)
            clients[client.id] = client
            try? Syscall.setCloseOnExec(descriptor.rawValue, true)
            do {
                try events.add(client.descriptor, token: client.id)
                events.modify(descriptor.rawValue, token: client.id, readable: false, writable: false)
            } catch {
                disconnect(client)
            }
        }
    }

    /// The listening socket and the clients waiting for the answer of a reload or an
    /// upgrade, which cross the `execve` of an in-place upgrade.
    var upgradeHandover: (socket: ControlSocket, waitingClients: [(descriptor: Int32, awaiting: ControlAwaited)]) {
        (socket, clients.values.filter { !$0.peerGone && !$0.isClosed }.compactMap { client in
            client.awaiting.map { (client.descriptor.rawValue, $0) }
        })
    }

    /// Closes the socket and removes its file (at exit).
    func remove() {
        socket.remove()
    }

    // MARK: - Connections

    /// Accepts the waiting connections: each becomes a client, or is answered `busy` or
    /// `permission-denied` and closed.
    func acceptClients() {
        let flags = Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        while true {
            let descriptor: FileDescriptor
            do {
                guard let accepted = try Syscall.accept(socket.descriptor, flags: flags) else { return }
                descriptor = accepted
            } catch .tooManyOpenFiles, .tooManyOpenFilesInSystem {
                if shedConnectionWithReserveDescriptor() { continue }
                return
            } catch {
                return
            }
            guard let uid = try? Syscall.peerUserID(of: descriptor), uid == 0 || uid == geteuid() else {
                reject(descriptor, ControlError(.permissionDenied, "only root and uid \(geteuid()) may control this daemon"))
                continue
            }
            guard clients.count < Self.maximumClients else {
                reject(descriptor, ControlError(.busy, "too many control clients (\(Self.maximumClients)); retry later"))
                continue
            }
            clientsAccepted += 1
            let client = ControlClient(id: Self.clientTokenBase + clientsAccepted, descriptor: descriptor, now: .now)
            clients[client.id] = client
            do {
                try events.add(descriptor, token: client.id)
            } catch {
                disconnect(client)
            }
        }
    }

    /// Out of descriptors: free the reserve one, accept and drop a waiting connection so
    /// the listener does not stay readable forever (no spinning), then re-arm the reserve.
    private func shedConnectionWithReserveDescriptor() -> Bool {
        guard reserveDescriptor >= 0 else { return false }
        Syscall.close(FileDescriptor(rawValue: reserveDescriptor))
        let dropped = (try? Syscall.accept(socket.descriptor, flags: Int32(SOCK_CLOEXEC.rawValue))) ?? nil
        if let dropped { Syscall.close(dropped) }
        reserveDescriptor = (try? Syscall.open("/dev/null", O_RDONLY | O_CLOEXEC)) ?? -1
        performer.logger.warning("out of file descriptors: a control connection was dropped", metadata: ["event": .event(.controlEmfile)])
        return dropped != nil
    }

    private func reject(_ descriptor: FileDescriptor, _ failure: ControlError) {
        let line = ControlReply.failure(failure).line
        _ = line.withUnsafeBytes { bytes in try? Syscall.send(descriptor, bytes) }
        Syscall.close(descriptor)
    }

    private func disconnect(_ client: ControlClient) {
        client.isClosed = true
        clients[client.id] = nil
        Syscall.close(client.descriptor) // also removes it from epoll
    }

    /// Reads requests from the client of `token`, answers a few of them, writes what the
    /// socket takes; `ready` holds the `EPOLL*` bits of the event.
    func serviceClient(token: UInt64, events ready: UInt32) {
        guard let client = clients[token] else { return }
        let now = MonotonicInstant.now
        if ready & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            client.peerGone = true
            client.output.removeAll()
        }
        if ready & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readInput(of: client, now: now)
        }
        answerRequests(of: client, now: now)
        writeOutput(of: client, now: now)
    }

    /// Reads what the socket holds, up to ``ControlClient/maximumPendingInput`` buffered;
    /// notes the end of the client's input.
    private func readInput(of client: ControlClient, now: MonotonicInstant) {
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
    private func answerRequests(of client: ControlClient, now: MonotonicInstant) {
        for _ in 0..<ControlClient.requestsPerTurn where client.hasAnswerableRequests {
            switch client.takeRequest(now: now) {
            case .line(let line):
                guard !line.isEmpty, let answer = answer(line, from: client), !client.peerGone else { continue }
                client.output += answer.line
            case .tooLarge:
                client.output += ControlReply.failure(ControlError(.requestTooLarge, "requests are limited to \(ControlClient.maximumRequestSize) bytes")).line
                client.discardInput()
                client.closeAfterWrite = true
                return
            case .none:
                return
            }
        }
    }

    /// The answer to one request line, or `nil` when it comes once the reload ends
    /// (`reload --wait`).
    private func answer(_ line: [UInt8], from client: ControlClient) -> ControlReply? {
        let command: ControlCommand
        do {
            command = try ControlCommand(ControlRequest(line: line), daemonIsStopping: performer.isStopping)
        } catch {
            return .failure(error)
        }
        // Marked before the reload or upgrade runs: one that completes or fails at once
        // answers its waiters, this client among them, before `perform` returns.
        switch command {
        case .reload(wait: true): client.awaiting = .reload
        case .upgrade(wait: true): client.awaiting = .upgrade
        default: break
        }
        switch performer.perform(command) {
        case .reply(let reply):
            // Refused before it began: the client waits for nothing more.
            client.awaiting = nil
            return reply
        case .replyWhenReloadEnds, .replyWhenUpgradeEnds:
            return nil
        }
    }

    /// Flushes `client`'s output and closes it when the conversation is over; otherwise
    /// watches it for input only while it may send more, for output only while some is left.
    private func writeOutput(of client: ControlClient, now: MonotonicInstant = .now) {
        guard !client.isClosed else { return }
        guard client.peerGone || client.flush(now: now) else {
            disconnect(client)
            return
        }
        if client.isFinished {
            disconnect(client)
            return
        }
        events.modify(client.descriptor.rawValue, token: client.id, readable: client.wantsInput,
                      writable: !client.output.isEmpty && !client.peerGone)
    }

    // MARK: - Deadlines

    /// Answers the requests left over from earlier turns, then closes the clients past a
    /// deadline: idle (no byte read or written) or with a request still incomplete.
    func serviceClients(now: MonotonicInstant) {
        for client in clients.values where client.hasAnswerableRequests {
            answerRequests(of: client, now: now)
            writeOutput(of: client, now: now)
        }
        for client in clients.values where client.deadline.map({ $0 <= now }) ?? false {
            disconnect(client)
        }
    }

    /// The nearest deadline: now when requests wait to be answered, else the clients'
    /// nearest deadline.
    var nextDeadline: MonotonicInstant? {
        if clients.values.contains(where: \.hasAnswerableRequests) { return .now }
        return clients.values.compactMap(\.deadline).min()
    }

    /// Answers the clients waiting for `awaited` (`reload --wait`, `upgrade --wait`): `ok`,
    /// or `reload-failed` / `upgrade-failed` with `failure`.
    func answerWaiters(for awaited: ControlAwaited, failure: String?) {
        let code: ControlError.Code = awaited == .reload ? .reloadFailed : .upgradeFailed
        let reply = failure.map { ControlReply.failure(ControlError(code, $0)) } ?? .ok
        for client in clients.values where client.awaiting == awaited {
            client.awaiting = nil
            if !client.peerGone {
                client.output += reply.line
            }
            writeOutput(of: client)
        }
    }
}
