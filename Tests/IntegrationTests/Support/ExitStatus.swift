/// How a process ended, in the notation shared by the driver and the daemons' logs:
/// `exited:N` or `killed:SIGNAME`.
enum ExitStatus: Equatable, CustomStringConvertible {
    case exited(Int)
    case killed(String)

    /// Parses `exited:0` or `killed:SIGKILL`.
    init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "exited":
            guard let code = Int(parts[1]) else { return nil }
            self = .exited(code)
        case "killed":
            self = .killed(parts[1])
        default:
            return nil
        }
    }

    var description: String {
        switch self {
        case .exited(let code): "exited:\(code)"
        case .killed(let signal): "killed:\(signal)"
        }
    }
}
