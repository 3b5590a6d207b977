internal import CotyledonControlProtocol
import Logging

/// What the control server needs of the master, and all it knows of it.
protocol ControlCommandPerformer: AnyObject {
    /// Whether the daemon stops: commands other than `status`, `metrics` and `stop` are then
    /// refused with `stopping`.
    var isStopping: Bool { get }
    /// The master's logger, at its current level.
    var logger: Logger { get }
    /// Does what `command` asks and says how to answer.
    func perform(_ command: ControlCommand) -> ControlOutcome
}
