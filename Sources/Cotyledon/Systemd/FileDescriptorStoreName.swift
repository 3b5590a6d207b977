/// The names the master gives its listeners in systemd's file descriptor store
/// (`FDNAME=`): `cotyledon.store.<listener>`. systemd hands them back at the next start
/// under these names in `LISTEN_FDNAMES`, apart from the sockets of socket units
/// (`FileDescriptorName=`), whose names follow the rule of listener names and so never
/// contain a dot.
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
