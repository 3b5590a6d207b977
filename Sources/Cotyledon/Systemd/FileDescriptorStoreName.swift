/// The names the master gives its listeners in systemd's file descriptor store
/// (`FDNAME=`): `cotyledon.store.<listener>`. systemd hands them back at the next start
/// under these names in `LISTEN_FDNAMES`, among the sockets of socket units
/// (`FileDescriptorName=`): names with this prefix are reserved, and a socket unit's
/// socket named so is taken for a stored one. A listener's name has no dot, so no
/// declared listener's name can be mistaken for a store name.
enum FileDescriptorStoreName {
    /// What every stored listener's name starts with.
    static let prefix = "cotyledon.store."

    /// The store's name for the listener `listener`.
    static func of(listener: String) -> String {
        prefix + listener
    }

    /// The listener a passed socket named `name` was stored for, or `nil` when the name is
    /// not one of the store's.
    static func listener(in name: String) -> String? {
        name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
    }
}
