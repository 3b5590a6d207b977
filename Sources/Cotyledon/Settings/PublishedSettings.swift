/// The application's settings in the master: the value in force, how to load the next
/// one, and the region that publishes it to running workers (ARCHITECTURE.md § Application settings).
final class PublishedSettings {
    /// The settings type the manager was created with.
    let type: any DaemonSettings.Type
    /// Loads and validates the settings again, on reload.
    let load: () throws -> any DaemonSettings
    /// Where running workers read the newest snapshot.
    let region: SettingsRegion
    /// The value in force, which every fork hands its worker.
    private(set) var current: any DaemonSettings

    /// Maps the region and publishes `initial` (before the first fork).
    init(_ source: SettingsSource) throws(CotyledonError) {
        do {
            region = try SettingsRegion()
        } catch {
            throw .systemCallFailed(call: "mmap (settings region)", errno: error)
        }
        type = source.type
        load = source.load
        current = source.initial.value
        region.publish(source.initial.bytes)
    }

    /// Makes `snapshot` the settings in force: new workers inherit it, running ones read it.
    func publish(_ snapshot: SettingsSnapshot) {
        current = snapshot.value
        region.publish(snapshot.bytes)
    }

    /// What a worker forked now starts with.
    var forWorker: WorkerSettings {
        WorkerSettings(value: current, generation: region.generation, type: type, region: region)
    }
}
