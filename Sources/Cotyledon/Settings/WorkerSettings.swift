/// The settings a worker holds: the value it inherited at the fork or read at its last
/// reload, and the generation of that value in the ``SettingsRegion``.
struct WorkerSettings {
    /// The value in the worker.
    private(set) var value: any DaemonSettings
    /// The region's generation ``value`` came from.
    private(set) var generation: Int64
    /// The type to decode snapshots into.
    let type: any DaemonSettings.Type
    /// The master's region.
    let region: SettingsRegion

    /// Reads the newest snapshot; `true` when it is newer than ``value``, which it replaces.
    ///
    /// - Throws: ``SettingsSnapshotError`` when no consistent copy could be read, or the
    ///   snapshot does not decode (memory corrupted); ``value`` is kept then.
    mutating func refresh() throws(SettingsSnapshotError) -> Bool {
        guard let newest = region.read() else {
            throw SettingsSnapshotError(description: "every read of the settings snapshot overlapped a write by the master")
        }
        guard newest.generation != generation else { return false }
        do {
            value = try type.decoded(from: try SettingsValue(bytes: newest.bytes))
        } catch {
            throw SettingsSnapshotError(description: "the settings snapshot does not decode: \(error)")
        }
        generation = newest.generation
        return true
    }
}

extension DaemonSettings {
    /// The settings of this type in a snapshot's tree, for a worker that knows the type only as a metatype.
    static func decoded(from tree: SettingsValue) throws -> any DaemonSettings {
        try SettingsDecoder.decode(Self.self, from: tree)
    }
}
