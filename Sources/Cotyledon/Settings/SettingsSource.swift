/// What a manager created with settings hands its master.
struct SettingsSource {
    /// The validated settings at start, encoded.
    let initial: SettingsSnapshot
    /// The settings type.
    let type: any DaemonSettings.Type
    /// Loads and validates the settings again, on reload.
    let load: () throws -> any DaemonSettings
}
