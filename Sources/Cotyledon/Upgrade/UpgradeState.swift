internal import CotyledonControlProtocol

/// What the master's old image hands its new image across an in-place upgrade's `execve`:
/// the descriptors that cross it (listeners, control socket and waiting clients, worker
/// pidfds and pipes, shared memory) and the supervision state that goes with them.
///
/// Plain JSON text, versioned by ``format``: the new image refuses a record it cannot read
/// rather than guessing. Large numbers (instants in nanoseconds) are written as strings,
/// which JSON numbers (doubles) would round.
struct UpgradeState: Equatable {
    /// The record format this build writes and reads.
    static let currentFormat = 1

    /// A pair of descriptors: the master-alive pipe.
    struct Pipe: Equatable {
        var readEnd: Int32
        var writeEnd: Int32
    }

    /// The control socket's listening descriptor and path, and the device and inode of the
    /// socket file the previous image created there (to recognize it: the file may have been
    /// removed or replaced since).
    struct Control: Equatable {
        var listener: Int32
        var path: String
        var device: UInt64
        var inode: UInt64
    }

    /// A control client waiting for the answer of the reload or upgrade it asked for.
    struct WaitingClient: Equatable {
        var descriptor: Int32
        /// What it waits for.
        var awaiting: ControlAwaited
    }

    /// One listening socket.
    struct Listener: Equatable {
        /// Whether systemd passed it or the master opened it for a declared listener.
        enum Origin: String, Equatable {
            case systemd
            case declared
        }

        var name: String
        var descriptor: Int32
        var origin: Origin
        /// The configured address text (a declared listener's), empty for systemd's.
        var address: String
        var backlog: Int
        var mode: UInt32?
        /// The bound address text (the real port for a port 0).
        var bound: String
        /// The device and inode of a unix socket's file, 0 otherwise.
        var device: UInt64
        var inode: UInt64
        /// Whether systemd's file descriptor store holds this socket (a declared listener's).
        var stored: Bool
    }

    /// One slot's history.
    struct Slot: Equatable {
        var workerID: Int
        var restarts: Int
        var earlyFailures: Int
        var lastExit: String?
        var hasStarted: Bool
    }

    /// One service's counters and slots.
    struct Service: Equatable {
        var name: String
        var restarts: Int
        var gracefulShutdownTimeout: Duration
        var slots: [Slot]
    }

    /// One live worker.
    struct Worker: Equatable {
        var service: String
        var workerID: Int
        var pid: Int32
        /// A pidfd on the worker, -1 when none: older builds handed one over per worker, which
        /// the new image closes. Never written: the master signals its workers by pid.
        var pidfd: Int32 = -1
        var messages: Int32
        var ready: Bool
        var startedAt: Int64
        var heartbeatSlot: Int
        /// Why the master asked it to stop (a ``WorkerExitReason`` raw value), if it did.
        var stopping: String?
        var replacement: Bool
        var build: String
        /// When the master recycles it for its service's lifetime (monotonic ns), if it does.
        var recycleAt: Int64?
        /// It said it exits for a reload (a worker that handles reloads by exiting).
        var announcedReloadExit: Bool
    }

    /// One leftover process group of a dead worker.
    struct LeftoverGroup: Equatable {
        var id: Int32
        var label: String
    }

    var format = UpgradeState.currentFormat
    var build: String
    var masterStartedAt: Int64
    var arguments: [String]
    var descriptorLimit: (soft: UInt64, hard: UInt64)
    var masterAlive: Pipe
    var heartbeatBoard: Int32
    var logLevel: Int32
    var reloadQueued: Bool
    var control: Control?
    var waitingClients: [WaitingClient]
    var listeners: [Listener]
    var services: [Service]
    var workers: [Worker]
    var leftoverGroups: [LeftoverGroup]

    static func == (lhs: UpgradeState, rhs: UpgradeState) -> Bool {
        lhs.encoded() == rhs.encoded()
    }

    /// Every descriptor the record names, which must cross the `execve`.
    var descriptors: [Int32] {
        var all = [masterAlive.readEnd, masterAlive.writeEnd, heartbeatBoard, logLevel] + waitingClients.map(\.descriptor)
        if let control { all.append(control.listener) }
        all += listeners.map(\.descriptor)
        all += workers.flatMap { [$0.pidfd, $0.messages] }
        return all.filter { $0 >= 0 }
    }

    // MARK: - Encoding

    /// The record as JSON text.
    func encoded() -> [UInt8] {
        let object: JSONValue = .object([
            "format": .integer(format),
            "build": .string(build),
            "masterStartedAt": .string(String(masterStartedAt)),
            "arguments": .array(arguments.map(JSONValue.string)),
            "descriptorLimit": .object(["soft": .string(String(descriptorLimit.soft)), "hard": .string(String(descriptorLimit.hard))]),
            "masterAlive": .object(["read": .integer(masterAlive.readEnd), "write": .integer(masterAlive.writeEnd)]),
            "heartbeatBoard": .integer(heartbeatBoard),
            "logLevel": .integer(logLevel),
            "reloadQueued": .bool(reloadQueued),
            "control": control.map {
                .object(["listener": .integer($0.listener), "path": .string($0.path),
                         "device": .string(String($0.device)), "inode": .string(String($0.inode))])
            } ?? .null,
            "waitingClients": .array(waitingClients.map {
                .object(["fd": .integer($0.descriptor), "awaiting": .string($0.awaiting.rawValue)])
            }),
            "listeners": .array(listeners.map { listener in
                .object([
                    "name": .string(listener.name), "fd": .integer(listener.descriptor), "origin": .string(listener.origin.rawValue),
                    "address": .string(listener.address), "backlog": .integer(listener.backlog),
                    "mode": listener.mode.map(JSONValue.integer) ?? .null, "bound": .string(listener.bound),
                    "device": .string(String(listener.device)), "inode": .string(String(listener.inode)),
                    "stored": .bool(listener.stored),
                ])
            }),
            "services": .array(services.map { service in
                .object([
                    "name": .string(service.name), "restarts": .integer(service.restarts),
                    "gracefulShutdownTimeout": .string(String(service.gracefulShutdownTimeout.nanoseconds)),
                    "slots": .array(service.slots.map { slot in
                        .object([
                            "workerID": .integer(slot.workerID), "restarts": .integer(slot.restarts),
                            "earlyFailures": .integer(slot.earlyFailures), "lastExit": slot.lastExit.map(JSONValue.string) ?? .null,
                            "hasStarted": .bool(slot.hasStarted),
                        ])
                    }),
                ])
            }),
            "workers": .array(workers.map { worker in
                .object([
                    "service": .string(worker.service), "workerID": .integer(worker.workerID), "pid": .integer(worker.pid),
                    "messages": .integer(worker.messages), "ready": .bool(worker.ready),
                    "startedAt": .string(String(worker.startedAt)), "heartbeatSlot": .integer(worker.heartbeatSlot),
                    "stopping": worker.stopping.map(JSONValue.string) ?? .null, "replacement": .bool(worker.replacement),
                    "build": .string(worker.build),
                    "recycleAt": worker.recycleAt.map { .string(String($0)) } ?? .null,
                    "announcedReloadExit": .bool(worker.announcedReloadExit),
                ])
            }),
            "leftoverGroups": .array(leftoverGroups.map { .object(["id": .integer($0.id), "label": .string($0.label)]) }),
        ])
        return Array(object.text.utf8)
    }

    // MARK: - Decoding

    /// Reads a record written by ``encoded()``.
    ///
    /// - Throws: ``UpgradeStateError`` for text that is not JSON, another format, or a
    ///   field missing or of the wrong type.
    init(decoding bytes: [UInt8]) throws(UpgradeStateError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw UpgradeStateError("the upgrade state is not JSON: \(error)")
        }
        let record = Fields(root, path: "")
        let format = try record.int("format")
        guard format == Self.currentFormat else {
            throw UpgradeStateError("the upgrade state has format \(format), this build reads format \(Self.currentFormat)")
        }
        self.format = format
        build = try record.string("build")
        masterStartedAt = try record.int64("masterStartedAt")
        arguments = try record.array("arguments").map { item throws(UpgradeStateError) in try item.string() }
        let limit = try record.object("descriptorLimit")
        descriptorLimit = (try limit.uint64("soft"), try limit.uint64("hard"))
        let alive = try record.object("masterAlive")
        masterAlive = Pipe(readEnd: try alive.descriptor("read"), writeEnd: try alive.descriptor("write"))
        heartbeatBoard = try record.optionalDescriptor("heartbeatBoard")
        logLevel = try record.optionalDescriptor("logLevel")
        reloadQueued = try record.bool("reloadQueued")
        if let control = try record.optionalObject("control") {
            self.control = Control(listener: try control.descriptor("listener"), path: try control.string("path"),
                                   device: try control.uint64("device"), inode: try control.uint64("inode"))
        } else {
            control = nil
        }
        waitingClients = try record.array("waitingClients").map { item throws(UpgradeStateError) in
            let client = try item.object()
            let awaitingText = try client.string("awaiting")
            guard let awaiting = ControlAwaited(rawValue: awaitingText) else {
                throw UpgradeStateError("\(client.path).awaiting is \"\(awaitingText)\", not reload or upgrade")
            }
            return WaitingClient(descriptor: try client.descriptor("fd"), awaiting: awaiting)
        }
        listeners = try record.array("listeners").map { item throws(UpgradeStateError) in
            let listener = try item.object()
            let originText = try listener.string("origin")
            guard let origin = Listener.Origin(rawValue: originText) else {
                throw UpgradeStateError("\(listener.path).origin is \"\(originText)\", not systemd or declared")
            }
            return Listener(
                name: try listener.string("name"), descriptor: try listener.descriptor("fd"), origin: origin,
                address: try listener.string("address"), backlog: try listener.int("backlog"),
                mode: try listener.optionalInt("mode").map { UInt32(truncatingIfNeeded: $0) }, bound: try listener.string("bound"),
                device: try listener.uint64("device"), inode: try listener.uint64("inode"), stored: try listener.bool("stored"))
        }
        services = try record.array("services").map { item throws(UpgradeStateError) in
            let service = try item.object()
            return Service(
                name: try service.string("name"), restarts: try service.int("restarts"),
                gracefulShutdownTimeout: .nanoseconds(try service.int64("gracefulShutdownTimeout")),
                slots: try service.array("slots").map { item throws(UpgradeStateError) in
                    let slot = try item.object()
                    return Slot(workerID: try slot.workerID("workerID"), restarts: try slot.int("restarts"),
                                earlyFailures: try slot.int("earlyFailures"), lastExit: try slot.optionalString("lastExit"),
                                hasStarted: try slot.bool("hasStarted"))
                })
        }
        workers = try record.array("workers").map { item throws(UpgradeStateError) in
            let worker = try item.object()
            return Worker(
                service: try worker.string("service"), workerID: try worker.workerID("workerID"), pid: try worker.processID("pid"),
                pidfd: try worker.has("pidfd") ? worker.optionalDescriptor("pidfd") : -1, messages: try worker.optionalDescriptor("messages"),
                ready: try worker.bool("ready"),
                startedAt: try worker.int64("startedAt"), heartbeatSlot: try worker.int("heartbeatSlot"),
                stopping: try worker.optionalString("stopping"), replacement: try worker.bool("replacement"),
                build: try worker.string("build"), recycleAt: try worker.optionalInt64("recycleAt"),
                announcedReloadExit: try worker.bool("announcedReloadExit"))
        }
        leftoverGroups = try record.array("leftoverGroups").map { item throws(UpgradeStateError) in
            let group = try item.object()
            return LeftoverGroup(id: try group.processID("id"), label: try group.string("label"))
        }
    }

    /// Builds a record from its parts (the old image, and tests).
    init(build: String, masterStartedAt: Int64, arguments: [String], descriptorLimit: (soft: UInt64, hard: UInt64),
         masterAlive: Pipe, heartbeatBoard: Int32, logLevel: Int32, reloadQueued: Bool, control: Control?,
         waitingClients: [WaitingClient], listeners: [Listener], services: [Service], workers: [Worker], leftoverGroups: [LeftoverGroup]) {
        self.build = build
        self.masterStartedAt = masterStartedAt
        self.arguments = arguments
        self.descriptorLimit = descriptorLimit
        self.masterAlive = masterAlive
        self.heartbeatBoard = heartbeatBoard
        self.logLevel = logLevel
        self.reloadQueued = reloadQueued
        self.control = control
        self.waitingClients = waitingClients
        self.listeners = listeners
        self.services = services
        self.workers = workers
        self.leftoverGroups = leftoverGroups
    }
}

/// Typed access to a JSON object's members, naming the path of what is missing.
private struct Fields {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    private func member(_ key: String) throws(UpgradeStateError) -> Fields {
        guard case .object(let members) = value else { throw UpgradeStateError("\(path.isEmpty ? "the record" : path) is not an object") }
        guard let member = members[key] else { throw UpgradeStateError("the upgrade state lacks \(path.isEmpty ? "" : path + ".")\(key)") }
        return Fields(member, path: path.isEmpty ? key : "\(path).\(key)")
    }

    private func wrongType(_ expected: String) -> UpgradeStateError {
        UpgradeStateError("\(path) in the upgrade state is not \(expected)")
    }

    func string() throws(UpgradeStateError) -> String {
        guard let text = value.stringValue else { throw wrongType("a string") }
        return text
    }

    func int() throws(UpgradeStateError) -> Int {
        guard let number = value.integerValue else { throw wrongType("an integer") }
        return number
    }

    func object() throws(UpgradeStateError) -> Fields {
        guard case .object = value else { throw wrongType("an object") }
        return self
    }

    func string(_ key: String) throws(UpgradeStateError) -> String { try member(key).string() }
    func int(_ key: String) throws(UpgradeStateError) -> Int { try member(key).int() }
    func object(_ key: String) throws(UpgradeStateError) -> Fields { try member(key).object() }

    func int64(_ key: String) throws(UpgradeStateError) -> Int64 {
        let field = try member(key)
        guard let number = Int64(try field.string()) else { throw field.wrongType("a 64-bit integer in a string") }
        return number
    }

    func uint64(_ key: String) throws(UpgradeStateError) -> UInt64 {
        let field = try member(key)
        guard let number = UInt64(try field.string()) else { throw field.wrongType("an unsigned 64-bit integer in a string") }
        return number
    }

    /// A descriptor number the previous image handed over: above the standard ones (0-2).
    func descriptor(_ key: String) throws(UpgradeStateError) -> Int32 {
        let field = try member(key)
        guard let number = Int32(exactly: try field.int()), number > 2 else { throw field.wrongType("a descriptor number above 2") }
        return number
    }

    /// Whether the object has a member `key` (one that older builds wrote and this one does not).
    func has(_ key: String) -> Bool {
        guard case .object(let members) = value else { return false }
        return members[key] != nil
    }

    /// A descriptor number, or -1 for none.
    func optionalDescriptor(_ key: String) throws(UpgradeStateError) -> Int32 {
        let field = try member(key)
        guard let number = Int32(exactly: try field.int()), number > 2 || number == -1 else {
            throw field.wrongType("a descriptor number above 2 or -1")
        }
        return number
    }

    /// A worker id: not negative, below the largest pool.
    func workerID(_ key: String) throws(UpgradeStateError) -> Int {
        let field = try member(key)
        let number = try field.int()
        guard (0..<ServiceManager.maximumWorkers).contains(number) else { throw field.wrongType("a worker id") }
        return number
    }

    /// A process id above 1: never the caller's own group (0) nor every process (-1) nor init.
    func processID(_ key: String) throws(UpgradeStateError) -> Int32 {
        let field = try member(key)
        guard let number = Int32(exactly: try field.int()), number > 1 else { throw field.wrongType("a process id above 1") }
        return number
    }

    func optionalInt64(_ key: String) throws(UpgradeStateError) -> Int64? {
        let field = try member(key)
        guard field.value != .null else { return nil }
        guard let number = Int64(try field.string()) else { throw field.wrongType("a 64-bit integer in a string") }
        return number
    }

    func bool(_ key: String) throws(UpgradeStateError) -> Bool {
        let field = try member(key)
        guard let flag = field.value.boolValue else { throw field.wrongType("a boolean") }
        return flag
    }

    func array(_ key: String) throws(UpgradeStateError) -> [Fields] {
        let field = try member(key)
        guard let items = field.value.arrayValue else { throw field.wrongType("an array") }
        return items.enumerated().map { Fields($1, path: "\(field.path)[\($0)]") }
    }

    func optionalObject(_ key: String) throws(UpgradeStateError) -> Fields? {
        let field = try member(key)
        return field.value == .null ? nil : try field.object()
    }

    func optionalString(_ key: String) throws(UpgradeStateError) -> String? {
        let field = try member(key)
        return field.value == .null ? nil : try field.string()
    }

    func optionalInt(_ key: String) throws(UpgradeStateError) -> Int? {
        let field = try member(key)
        return field.value == .null ? nil : try field.int()
    }
}
