/// One log line of a daemon, parsed:
/// `<ISO8601 timestamp> <level> <program>[<pid>]: <message> key=value key="quoted value" …`.
struct LogLine: CustomStringConvertible {
    let timestamp: String
    let level: String
    let program: String
    /// The pid of the process that wrote the line (master or worker).
    let pid: Int32
    /// The human-readable part, without the trailing `key=value` tokens, as written (its
    /// control characters and backslashes escaped).
    let message: String
    /// The trailing `key=value` tokens, quoted values read back (``LogfmtFields``).
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
        let head = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard head.count >= 3, head[0].contains("T"),
              head[2].hasSuffix("]:"), let open = head[2].lastIndex(of: "[")
        else { return nil }
        let pidText = head[2][head[2].index(after: open)..<head[2].index(head[2].endIndex, offsetBy: -2)]
        guard let pid = Int32(pidText) else { return nil }
        let rest = head.count == 4 ? head[3] : ""
        var fields: [String: String] = [:]
        var messageEnd = rest.endIndex
        if let (start, parsed) = LogfmtFields.split(rest) {
            // The last of a repeated key wins: the handler writes its own fields last.
            for (key, value) in parsed { fields[key] = value }
            messageEnd = start == rest.startIndex ? start : rest.index(before: start)
        }
        self.timestamp = String(head[0])
        self.level = String(head[1])
        self.program = String(head[2][..<open])
        self.pid = pid
        self.message = String(rest[..<messageEnd])
        self.fields = fields
        self.text = text
    }

    var description: String { text }
}
