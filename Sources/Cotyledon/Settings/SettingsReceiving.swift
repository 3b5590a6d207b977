/// A service that reads typed settings (``SettingsService``), as the manager and workers see it.
@MainActor
protocol SettingsReceiving: Service {
    /// The settings type the service reads.
    nonisolated static var settingsType: any DaemonSettings.Type { get }
    /// Takes the settings of a successful reload, in the worker.
    func receive(_ settings: any DaemonSettings)
}
