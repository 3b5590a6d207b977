/// A control request read for what it asks: one case per command, with the arguments it
/// needs checked and typed.
public enum ControlCommand: Equatable, Sendable {
    /// The master, its services and their workers.
    case status
    /// The master's counters and gauges in the Prometheus text format.
    case metrics
    /// Stop the daemon: gracefully, or at once when `fast`.
    case stop(fast: Bool)
    /// Give `service` this many workers.
    case scale(service: String, workers: Int)
    /// Read the configuration again and apply it; with `wait`, answer once the reload is over.
    case reload(wait: Bool)
    /// Re-execute the master from the executable now on disk, keeping its pid, listeners
    /// and workers, then replace the workers with ones of the new build; with `wait`,
    /// answer once the new workers are ready (or the upgrade failed).
    case upgrade(wait: Bool)
    /// Replace the workers of `service` one by one, or only the one with id `worker`.
    case restart(service: String, worker: Int?)
    /// Log at this level until the next reload.
    case logLevel(ControlLogLevel)

    /// The commands a stopping daemon still performs; it refuses every other with `stopping`.
    private static let performedWhileStopping: Set<String> = ["status", "metrics", "stop"]

    /// Reads what `request` asks, checked in this order: its protocol version, whether a
    /// stopping daemon still takes it, the command's name, then its arguments.
    ///
    /// - Parameter daemonIsStopping: whether the daemon stops, refusing every command but
    ///   `status`, `metrics` and `stop`.
    /// - Throws: ``ControlError`` `unsupported-version`, `stopping`, `unknown-command`, or
    ///   `bad-request` naming the missing or invalid argument.
    public init(_ request: ControlRequest, daemonIsStopping: Bool = false) throws(ControlError) {
        guard request.v == ControlRequest.protocolVersion else {
            throw ControlError(.unsupportedVersion, "protocol version \(request.v) is not supported; this daemon speaks version \(ControlRequest.protocolVersion)")
        }
        guard !daemonIsStopping || Self.performedWhileStopping.contains(request.command) else {
            throw ControlError(.stopping, "the daemon is stopping")
        }
        switch request.command {
        case "status":
            self = .status
        case "metrics":
            self = .metrics
        case "stop":
            self = .stop(fast: request.fast ?? false)
        case "scale":
            let service = try Self.service(of: request)
            guard let workers = request.workers else { throw ControlError(.badRequest, "scale needs \"workers\"") }
            self = .scale(service: service, workers: workers)
        case "reload":
            self = .reload(wait: request.wait == true)
        case "upgrade":
            self = .upgrade(wait: request.wait == true)
        case "restart":
            self = .restart(service: try Self.service(of: request), worker: request.worker)
        case "log-level":
            guard let name = request.level, let level = ControlLogLevel(rawValue: name) else {
                throw ControlError(.badRequest, "log-level needs \"level\": one of \(ControlLogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self = .logLevel(level)
        default:
            throw ControlError(.unknownCommand, "unknown command \"\(request.command)\": use status, metrics, scale, reload, upgrade, stop, restart or log-level")
        }
    }

    /// The command's name on the wire.
    public var name: String {
        switch self {
        case .status: "status"
        case .metrics: "metrics"
        case .stop: "stop"
        case .scale: "scale"
        case .reload: "reload"
        case .upgrade: "upgrade"
        case .restart: "restart"
        case .logLevel: "log-level"
        }
    }

    private static func service(of request: ControlRequest) throws(ControlError) -> String {
        guard let service = request.service else { throw ControlError(.badRequest, "this command needs \"service\"") }
        return service
    }
}
