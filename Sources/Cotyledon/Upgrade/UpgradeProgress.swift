/// Where the master is in an in-place upgrade, in its current image. (Once the `execve`
/// succeeded, the new image follows the upgrade's rolls through its ``Lifecycle``.)
enum UpgradeProgress {
    /// No upgrade under way.
    case idle
    /// The new executable's check run is under way; further requests join it.
    case checking(UpgradeCheck)
    /// The check passed (the new executable runs `build`): the master executes it once
    /// the signals read with the check's exit are handled, at the end of the loop turn.
    case passed(UpgradeCheck, build: String)

    /// The check run under way, if any.
    var check: UpgradeCheck? {
        if case .checking(let check) = self { return check }
        return nil
    }
}
