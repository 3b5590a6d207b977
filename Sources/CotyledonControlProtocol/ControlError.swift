/// A refused control request as it travels: a machine-readable code and a message for
/// people, `{"code":"unknown-service","error":"no service \"x\": …","ok":false,"v":1}`.
public struct ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The machine-readable reason.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        /// A code as it is written on the wire.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The request is not JSON, not an object, or lacks or mistypes a member.
        public static let badRequest = Code(rawValue: "bad-request")
        /// The command is not one the daemon knows.
        public static let unknownCommand = Code(rawValue: "unknown-command")
        /// The request's protocol version is not one the daemon speaks.
        public static let unsupportedVersion = Code(rawValue: "unsupported-version")
        /// The request line is longer than the daemon accepts.
        public static let requestTooLarge = Code(rawValue: "request-too-large")
        /// The named service does not run in this daemon.
        public static let unknownService = Code(rawValue: "unknown-service")
        /// The service has no running worker with that id.
        public static let unknownWorker = Code(rawValue: "unknown-worker")
        /// The worker count is outside the service's bounds.
        public static let invalidWorkers = Code(rawValue: "invalid-workers")
        /// The reload failed (`reload` with `wait`).
        public static let reloadFailed = Code(rawValue: "reload-failed")
        /// The upgrade was refused or failed (`upgrade`); the running build keeps serving.
        public static let upgradeFailed = Code(rawValue: "upgrade-failed")
        /// The daemon is stopping and takes no more commands but `status`, `metrics` and `stop`.
        public static let stopping = Code(rawValue: "stopping")
        /// The client's user may not use the socket.
        public static let permissionDenied = Code(rawValue: "permission-denied")
        /// The daemon serves as many clients as it allows.
        public static let busy = Code(rawValue: "busy")

        /// The code as written on the wire.
        public var description: String { rawValue }
    }

    /// Why the request was refused.
    public var code: Code
    /// What happened, for people.
    public var message: String

    /// A refusal with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `message [code]`.
    public var description: String { "\(message) [\(code)]" }

    /// The answer line that carries the refusal, with a line feed.
    public var line: [UInt8] {
        ControlReply.failure(self).line
    }
}
