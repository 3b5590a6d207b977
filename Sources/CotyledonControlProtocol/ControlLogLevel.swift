/// A log level as the `log-level` command names it: swift-log's levels, most verbose first,
/// spelled as its `Logger.Level` raw values (this module does without swift-log).
public enum ControlLogLevel: String, CaseIterable, Equatable, Sendable {
    /// Everything, down to the finest detail.
    case trace
    /// Details for debugging.
    case debug
    /// The ordinary course of events.
    case info
    /// Events worth noticing.
    case notice
    /// Something unexpected that did no harm yet.
    case warning
    /// Failures.
    case error
    /// Failures the daemon may not survive.
    case critical
}
