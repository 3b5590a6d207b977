/// What the master knows from its start for an in-place upgrade: which file to run, with
/// which arguments, and the build it runs itself.
struct UpgradeContext {
    /// The executable an upgrade checks and runs; `nil` when it could not be found.
    let executable: String?
    /// The master's original command line (`argv`), captured before process titles overwrote it.
    let arguments: [String]
    /// The build this image runs.
    let build: BuildIdentity
    /// How long the check run may take (``ManagerConfiguration/upgradeCheckTimeout``).
    let checkTimeout: Duration
}
