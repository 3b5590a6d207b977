/// A control request, one JSON object on one line (protocol version 1):
/// `{"command":"scale","service":"printer","v":1,"workers":4}`.
///
/// Members a command does not use are left out; a server ignores members it does not know,
/// so newer clients can add optional ones.
public struct ControlRequest: Equatable, Sendable {
    /// The protocol version this module speaks.
    public static let protocolVersion = 1

    /// The protocol version of the request.
    public var v: Int
    /// `status`, `metrics`, `scale`, `reload`, `upgrade`, `stop`, `restart` or `log-level`.
    public var command: String
    /// The service a command is about (`scale`, `restart`).
    public var service: String?
    /// The worker count (`scale`).
    public var workers: Int?
    /// One worker's id (`restart`).
    public var worker: Int?
    /// Whether to answer only once the reload or the upgrade is over (`reload`, `upgrade`).
    public var wait: Bool?
    /// Whether to stop fast, without the graceful timeout (`stop`).
    public var fast: Bool?
    /// The log level (`log-level`).
    public var level: String?

    /// A request for `command` in this protocol version, without arguments.
    public init(_ command: String) {
        v = ControlRequest.protocolVersion
        self.command = command
    }

    /// The request that asks for `command`, as `cotyledonctl` sends it: `wait` and `fast`
    /// always written, a restart's `worker` only when one is named.
    public init(_ command: ControlCommand) {
        self.init(command.name)
        switch command {
        case .status, .metrics:
            break
        case .stop(let fast):
            self.fast = fast
        case .scale(let service, let workers):
            self.service = service
            self.workers = workers
        case .reload(let wait), .upgrade(let wait):
            self.wait = wait
        case .restart(let service, let worker):
            self.service = service
            self.worker = worker
        case .logLevel(let level):
            self.level = level.rawValue
        }
    }

    /// Reads a request line.
    ///
    /// - Throws: ``ControlError`` `bad-request` naming what is wrong: not JSON, not an
    ///   object, a member missing or of the wrong type.
    public init(line: [UInt8]) throws(ControlError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            throw ControlError(.badRequest, "not a valid request: not JSON: \(error)")
        }
        guard case .object = json else {
            throw ControlError(.badRequest, "not a valid request: a request is a JSON object")
        }
        guard let v = try ControlRequest.integer(json, "v") else {
            throw ControlError(.badRequest, "not a valid request: \"v\" (the protocol version, 1) is missing")
        }
        guard let command = try ControlRequest.string(json, "command") else {
            throw ControlError(.badRequest, "not a valid request: \"command\" is missing")
        }
        self.v = v
        self.command = command
        service = try ControlRequest.string(json, "service")
        workers = try ControlRequest.integer(json, "workers")
        worker = try ControlRequest.integer(json, "worker")
        wait = try ControlRequest.bool(json, "wait")
        fast = try ControlRequest.bool(json, "fast")
        level = try ControlRequest.string(json, "level")
    }

    /// The request as sent: compact JSON, members sorted, and a line feed.
    public var line: [UInt8] {
        var members: [String: JSONValue] = ["v": .integer(v), "command": .string(command)]
        if let service { members["service"] = .string(service) }
        if let workers { members["workers"] = .integer(workers) }
        if let worker { members["worker"] = .integer(worker) }
        if let wait { members["wait"] = .bool(wait) }
        if let fast { members["fast"] = .bool(fast) }
        if let level { members["level"] = .string(level) }
        return Array(JSONValue.object(members).text.utf8) + [0x0A]
    }

    private static func string(_ json: JSONValue, _ key: String) throws(ControlError) -> String? {
        switch json[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw ControlError(.badRequest, "not a valid request: \"\(key)\" must be a string")
        }
    }

    private static func integer(_ json: JSONValue, _ key: String) throws(ControlError) -> Int? {
        switch json[key] {
        case nil, .null?: return nil
        case let value? where value.integerValue != nil: return value.integerValue
        default: throw ControlError(.badRequest, "not a valid request: \"\(key)\" must be a whole number")
        }
    }

    private static func bool(_ json: JSONValue, _ key: String) throws(ControlError) -> Bool? {
        switch json[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw ControlError(.badRequest, "not a valid request: \"\(key)\" must be true or false")
        }
    }
}
