/// One log line of a daemon, parsed:
/// `<ISO8601 timestamp> <level> <program>[<pid>]: <message> key=value key=value …`.
struct LogLine: CustomStringConvertible {
    let timestamp: String
    let level: String
    let program: String
    /// The pid of the process that wrote the line (master or worker).
    let pid: Int32
    /// The human-readable part, without the trailing `key=value` tokens.
    let message: String
    /// The trailing `key=value` tokens.
    let fields: [String: String]
    /// The raw line.
    let text: String
    /// Position among all output lines of the spawned daemon (set by ``DriverState``).
    var index = -1
    /// CLOCK_MONOTONIC seconds when the driver read the line (set by ``DriverState``).
    var time = 0.0

    /// The `event=` field.
    var event: String? { fields["event"] }

    /// The `worker=` field as a number.
    var worker: Int? { fields["worker"].flatMap { Int($0) } }

    /// The `pid=` field as a number (the process the event is about).
    var subjectPid: Int32? { fields["pid"].flatMap { Int32($0) } }

    /// The `mono=` field: CLOCK_MONOTONIC seconds when the line was written.
    var mono: Double? { fields["mono"].flatMap { Double($0) } }

    /// Parses `text`; `nil` if it does not have the log line shape.
    init?(_ text: String) {
        let tokens = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count >= 3, tokens[0].contains("T"),
              tokens[2].hasSuffix("]:"), let open = tokens[2].lastIndex(of: "[")
        else { return nil }
        let pidText = tokens[2][tokens[2].index(after: open)..<tokens[2].index(tokens[2].endIndex, offsetBy: -2)]
        guard let pid = Int32(pidText) else { return nil }
        var fields: [String: String] = [:]
        var messageEnd = tokens.count
        while messageEnd > 3, let field = Self.field(tokens[messageEnd - 1]) {
            if fields[field.key] == nil { fields[field.key] = field.value }
            messageEnd -= 1
        }
        self.timestamp = tokens[0]
        self.level = tokens[1]
        self.program = String(tokens[2][..<open])
        self.pid = pid
        self.message = tokens[3..<messageEnd].joined(separator: " ")
        self.fields = fields
        self.text = text
    }

    private static func field(_ token: String) -> (key: String, value: String)? {
        guard let equals = token.firstIndex(of: "="), equals != token.startIndex else { return nil }
        let key = token[..<equals]
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
            return nil
        }
        return (String(key), String(token[token.index(after: equals)...]))
    }

    var description: String { text }
}
