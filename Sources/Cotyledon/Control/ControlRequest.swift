/// A control request, one JSON line (protocol version 1):
/// `{"v":1,"command":"scale","service":"printer","workers":4}`.
///
/// Members other than these are ignored, so newer clients can add optional ones.
struct ControlRequest {
    /// The protocol version; only 1 exists.
    let v: Int
    /// status, scale, reload, stop, restart, log-level or metrics.
    let command: String
    let service: String?
    let workers: Int?
    let worker: Int?
    let wait: Bool?
    let fast: Bool?
    let level: String?

    /// Reads a request line.
    ///
    /// - Throws: ``ControlFailure`` `bad-request` naming what is wrong: not JSON, not an
    ///   object, or a member of the wrong type.
    init(line: [UInt8]) throws(ControlFailure) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            throw ControlFailure("bad-request", "not a valid request: not JSON: \(error)")
        }
        guard case .object = json else {
            throw ControlFailure("bad-request", "not a valid request: a request is a JSON object")
        }
        guard let v = try ControlRequest.integer(json, "v") else {
            throw ControlFailure("bad-request", "not a valid request: \"v\" (the protocol version, 1) is missing")
        }
        guard let command = try ControlRequest.string(json, "command") else {
            throw ControlFailure("bad-request", "not a valid request: \"command\" is missing")
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

    private static func string(_ json: JSONValue, _ key: String) throws(ControlFailure) -> String? {
        switch json[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw ControlFailure("bad-request", "not a valid request: \"\(key)\" must be a string")
        }
    }

    private static func integer(_ json: JSONValue, _ key: String) throws(ControlFailure) -> Int? {
        switch json[key] {
        case nil, .null?: return nil
        case .number(let value)? where value == value.rounded() && value.magnitude <= 9_007_199_254_740_992: return Int(value)
        default: throw ControlFailure("bad-request", "not a valid request: \"\(key)\" must be a whole number")
        }
    }

    private static func bool(_ json: JSONValue, _ key: String) throws(ControlFailure) -> Bool? {
        switch json[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw ControlFailure("bad-request", "not a valid request: \"\(key)\" must be true or false")
        }
    }
}

/// A failed control request: a machine-readable code and a message for people.
struct ControlFailure: Error {
    let code: String
    let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}
