/// Settings that cannot be published to the workers.
struct SettingsSnapshotError: Error, CustomStringConvertible {
    /// What is wrong, and what to do.
    let description: String
}
