import Foundation

/// One request of the control protocol (version 1): a JSON object on one line.
///
/// Fields that a command does not use are left out of the line.
struct ControlRequest: Encodable {
    /// The protocol version this client speaks.
    static let protocolVersion = 1

    let v = ControlRequest.protocolVersion
    let command: String
    var service: String?
    var workers: Int?
    var worker: Int?
    var wait: Bool?
    var fast: Bool?
    var level: String?

    init(_ command: String) {
        self.command = command
    }

    /// The request as sent: compact JSON and a `\n`.
    func line() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and booleans cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return Array(data) + [UInt8(ascii: "\n")]
    }
}
