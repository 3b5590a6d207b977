/// What a control client waits for the outcome of before it gets its answer; the raw value
/// is how the upgrade's state record names it.
enum ControlAwaited: String, Equatable {
    /// The reload it asked for (`reload --wait`): answered `ok` or `reload-failed`.
    case reload
    /// The upgrade it asked for (`upgrade --wait`): answered `ok` or `upgrade-failed`,
    /// by the master's new image when the upgrade went as far as the `execve`.
    case upgrade
}
