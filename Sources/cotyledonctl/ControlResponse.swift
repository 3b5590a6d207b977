import CotyledonControlProtocol

/// One answer of the control protocol: `{"v":1,"ok":true,…}` or
/// `{"v":1,"ok":false,"code":"<machine code>","error":"<human message>"}`.
struct ControlResponse {
    /// The line as received, for `--json`.
    let line: String
    /// The line as a JSON object.
    let object: JSONValue
    /// Whether the daemon did what was asked.
    let ok: Bool
    /// The machine-readable error code, when `ok` is false.
    let code: String?
    /// The human-readable error message, when `ok` is false.
    let error: String?

    /// Parses `bytes`.
    /// - Throws: ``ControlFailure`` with ``ControlExitCode/protocolError`` if they are not a JSON
    ///   object with `"ok"` and a version this client understands.
    init(_ bytes: [UInt8]) throws(ControlFailure) {
        let line = String(decoding: bytes, as: UTF8.self)
        let shown = line.count > 200 ? String(line.prefix(200)) + "…" : line
        guard let object = try? JSONParser.parse(bytes), case .object = object else {
            throw ControlFailure(.protocolError, "the daemon's answer is not a JSON object: \(shown)")
        }
        guard let ok = object["ok"]?.boolValue else {
            throw ControlFailure(.protocolError, "the daemon's answer has no \"ok\": \(shown)")
        }
        if let version = object["v"]?.integerValue, version != ControlRequest.protocolVersion {
            throw ControlFailure(.protocolError, "the daemon speaks protocol version \(version), this client \(ControlRequest.protocolVersion): \(shown)")
        }
        self.line = line
        self.object = object
        self.ok = ok
        self.code = object["code"]?.stringValue
        self.error = object["error"]?.stringValue
    }

    /// The answer read as a `status` answer.
    /// - Throws: ``ControlFailure`` with ``ControlExitCode/protocolError`` if it does not fit.
    func status() throws(ControlFailure) -> ControlStatus {
        do {
            return try ControlStatus(json: object)
        } catch {
            throw ControlFailure(.protocolError, "unexpected answer from the daemon (\(error.message)): \(line)")
        }
    }

    /// The failure an `ok: false` answer means: `reload-failed` and `upgrade-failed` exit 2, `permission-denied` 77,
    /// every other code 1.
    var failure: ControlFailure {
        let message = "\(error ?? "the daemon refused the request") [\(code ?? "no code")]"
        switch code.map(ControlError.Code.init(rawValue:)) {
        case .reloadFailed?, .upgradeFailed?: return ControlFailure(.operationFailed, message)
        case .permissionDenied?: return ControlFailure(.permissionDenied, message)
        default: return ControlFailure(.refused, message)
        }
    }
}
