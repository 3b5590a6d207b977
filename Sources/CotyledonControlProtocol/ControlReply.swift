/// The master's answer to one request, one JSON object on one line, `"v"` and `"ok"` always
/// present: `{"ok":true,"v":1}`, `{"ok":true,"v":1,"workers":4}`, the status or metrics
/// object, or a refusal (``ControlError``).
public enum ControlReply: Equatable, Sendable {
    /// Done, nothing more to tell.
    case ok
    /// Scaled: the service's worker count now.
    case scaled(workers: Int)
    /// The answer to `status`.
    case status(ControlStatus)
    /// The answer to `metrics`: the exposition in the Prometheus text format (version 0.0.4).
    case metrics(text: String)
    /// The request was refused.
    case failure(ControlError)

    /// The `format` member of a metrics answer.
    public static let metricsFormat = "prometheus-text-0.0.4"

    /// The answer object.
    public var json: JSONValue {
        let version = JSONValue.integer(ControlRequest.protocolVersion)
        switch self {
        case .ok:
            return .object(["v": version, "ok": .bool(true)])
        case .scaled(let workers):
            return .object(["v": version, "ok": .bool(true), "workers": .integer(workers)])
        case .status(let status):
            return status.json
        case .metrics(let text):
            return .object(["v": version, "ok": .bool(true), "format": .string(Self.metricsFormat), "text": .string(text)])
        case .failure(let error):
            return .object(["v": version, "ok": .bool(false), "code": .string(error.code.rawValue), "error": .string(error.message)])
        }
    }

    /// The answer as sent: compact JSON, members sorted, and a line feed.
    public var line: [UInt8] {
        Array(json.text.utf8) + [0x0A]
    }
}
