import CotyledonControlProtocol
/// The argument of a `spawn` command:
/// `{"path": "/abs/exe", "argv": ["name", …], "env": ["K=V", …], "stdin": "null"|"pipe",
///   "trigger": {"match": "text", "signal": "SIGTERM"}, "fds": N}`.
///
/// `argv[0]` is passed as given, so a daemon can be started under its bare name as a shell
/// would; `env` entries are added to (or replace entries of) the driver's environment.
/// `stdin` is `/dev/null` by default; `pipe` gives a pipe the driver holds open and never
/// writes (like an idle terminal), so that what the process's children get can be told apart.
/// `trigger` makes the driver itself send `signal` to the process as soon as it reads the first
/// output line containing `match`, without the round trip through the test process.
/// `fds` (0 by default) takes the next `N` descriptors the test process sent with its commands
/// (`SCM_RIGHTS`) and gives them to the process as 3, 4, …, as systemd passes sockets.
struct SpawnRequest {
    let path: String
    let argv: [String]
    let environment: [String]
    let stdinPipe: Bool
    let trigger: Trigger?
    /// How many passed descriptors the process gets, from 3 on.
    let descriptorCount: Int

    /// A signal the driver sends on its own when a line containing `match` arrives.
    struct Trigger {
        let match: String
        let signal: Int32
    }

    /// Decodes the request; `nil` if a member is missing or has the wrong type.
    init?(_ value: JSONValue) {
        guard let path = value["path"]?.stringValue,
              let argv = Self.strings(value["argv"]), !argv.isEmpty
        else { return nil }
        self.path = path
        self.argv = argv
        if let environment = value["env"] {
            guard let strings = Self.strings(environment) else { return nil }
            self.environment = strings
        } else {
            self.environment = []
        }
        switch value["stdin"]?.stringValue {
        case nil, "null": self.stdinPipe = false
        case "pipe": self.stdinPipe = true
        default: return nil
        }
        if let trigger = value["trigger"] {
            guard let match = trigger["match"]?.stringValue, !match.isEmpty,
                  let signal = trigger["signal"]?.stringValue.flatMap(SignalName.number(of:))
            else { return nil }
            self.trigger = Trigger(match: match, signal: signal)
        } else {
            self.trigger = nil
        }
        if let count = value["fds"] {
            guard let number = count.numberValue, number >= 0, number <= Double(CommandReader.maximumDescriptors),
                  number == number.rounded()
            else { return nil }
            self.descriptorCount = Int(number)
        } else {
            self.descriptorCount = 0
        }
    }

    /// The strings of an array of strings; `nil` for anything else.
    private static func strings(_ value: JSONValue?) -> [String]? {
        guard let elements = value?.arrayValue else { return nil }
        let strings = elements.compactMap(\.stringValue)
        return strings.count == elements.count ? strings : nil
    }
}
