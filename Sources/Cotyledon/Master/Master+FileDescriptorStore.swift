import SystemPackage

extension Master {
    /// Brings systemd's file descriptor store in line with the master's listeners, at
    /// start and after each reload commits: with ``ManagerConfiguration/fileDescriptorStore``
    /// every declared listener's socket is stored (`FDSTORE=1`, `FDNAME=cotyledon.store.<name>`)
    /// and the ones a reload closed or replaced are removed (`FDSTOREREMOVE=1`); without it,
    /// what the store handed back is removed. Nothing without `NOTIFY_SOCKET`.
    ///
    /// The notifications go through the notifier's queue, so this never waits (ARCHITECTURE.md
    /// § The master never blocks): each stored socket is a close-on-exec copy the queue
    /// holds until systemd takes it.
    func updateFileDescriptorStore() {
        guard notifier.isEnabled else { return }
        for change in listenerTable.storeChanges(storing: configuration.fileDescriptorStore) {
            switch change {
            case .store(let listener, let descriptor):
                let name = FileDescriptorStoreName.of(listener: listener)
                do {
                    try notifier.store(descriptor, name: name)
                    logger.info("listener \(listener) stored in systemd's file descriptor store as \(name)",
                                metadata: ["event": .event(.fdStored), "name": "\(listener)", "fdname": "\(name)",
                                           "fd": "\(descriptor.rawValue)"])
                } catch {
                    listenerTable.storeFailed(listener: listener)
                    logger.warning("cannot store listener \(listener) in systemd's file descriptor store: \(error); it is tried again at the next reload",
                                   metadata: ["event": .event(.notifyFailed), "name": "\(listener)", "error": "\(error)"])
                }
            case .remove(let listener, let reason):
                let name = FileDescriptorStoreName.of(listener: listener)
                notifier.removeFromStore(name: name)
                logger.info("removing \(name) from systemd's file descriptor store: \(reason)",
                            metadata: ["event": .event(.fdStoreRemoved), "fdname": "\(name)", "reason": "\(reason)"])
            }
        }
    }
}
