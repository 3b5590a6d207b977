/// A validated settings value and its encoded bytes, as the master publishes it.
struct SettingsSnapshot {
    /// The value, which workers forked from now on inherit.
    let value: any DaemonSettings
    /// ``value`` encoded (``SettingsEncoder``), for the ``SettingsRegion``.
    let bytes: [UInt8]

    /// Encodes `value`.
    ///
    /// - Throws: ``SettingsSnapshotError`` when `value` cannot be encoded or its snapshot is
    ///   larger than `capacity`.
    init(_ value: any DaemonSettings, capacity: Int = SettingsRegion.defaultCapacity) throws(SettingsSnapshotError) {
        let tree: SettingsValue
        do {
            tree = try SettingsEncoder.encode(value)
        } catch {
            throw SettingsSnapshotError(description: "the settings could not be encoded: \(error)")
        }
        let bytes = tree.bytes
        guard bytes.count <= capacity else {
            throw SettingsSnapshotError(description: "the settings take \(bytes.count) bytes once encoded, more than the \(capacity) bytes workers can be sent; keep large data out of the settings (give its path instead)")
        }
        self.value = value
        self.bytes = bytes
    }
}
