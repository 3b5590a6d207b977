import Foundation

/// One answer of the control protocol: `{"v":1,"ok":true,…}` or
/// `{"v":1,"ok":false,"code":"<machine code>","error":"<human message>"}`.
struct ControlResponse {
    /// The line as received, for `--json`.
    let line: String
    /// The line as a JSON object.
    let object: [String: Any]
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
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let object = parsed as? [String: Any]
        else {
            throw ControlFailure(.protocolError, "the daemon's answer is not a JSON object: \(shown)")
        }
        guard let ok = object["ok"] as? Bool else {
            throw ControlFailure(.protocolError, "the daemon's answer has no \"ok\": \(shown)")
        }
        if let version = object["v"] as? Int, version != ControlRequest.protocolVersion {
            throw ControlFailure(.protocolError, "the daemon speaks protocol version \(version), this client \(ControlRequest.protocolVersion): \(shown)")
        }
        self.line = line
        self.object = object
        self.ok = ok
        self.code = object["code"] as? String
        self.error = object["error"] as? String
    }

    /// The raw line decoded as `T`.
    /// - Throws: ``ControlFailure`` with ``ControlExitCode/protocolError`` if it does not fit.
    func decode<T: Decodable>(_ type: T.Type) throws(ControlFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(line.utf8))
        } catch {
            throw ControlFailure(.protocolError, "unexpected answer from the daemon (\(error)): \(line)")
        }
    }

    /// The failure an `ok: false` answer means: `reload-failed` exits 2, `permission-denied` 77,
    /// every other code 1.
    var failure: ControlFailure {
        let message = "\(error ?? "the daemon refused the request") [\(code ?? "no code")]"
        switch code {
        case "reload-failed": return ControlFailure(.reloadFailed, message)
        case "permission-denied": return ControlFailure(.permissionDenied, message)
        default: return ControlFailure(.refused, message)
        }
    }
}
