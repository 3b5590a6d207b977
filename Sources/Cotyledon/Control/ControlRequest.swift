/// A control request, one JSON line (protocol version 1):
/// `{"v":1,"command":"scale","service":"printer","workers":4}`.
struct ControlRequest: Decodable {
    /// The protocol version; only 1 exists.
    let v: Int
    /// status, scale, reload, stop, restart or log-level.
    let command: String
    let service: String?
    let workers: Int?
    let worker: Int?
    let wait: Bool?
    let fast: Bool?
    let level: String?
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
