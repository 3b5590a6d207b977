internal import CotyledonControlProtocol
import Logging

extension Logger.Level {
    /// The swift-log level the `log-level` command names.
    init(_ level: ControlLogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
