import Logging
import SystemPackage

/// The listening sockets the master hands its workers: the ones systemd passed and the
/// declared ones (``ManagerConfiguration/listeners``) it opened itself, one
/// ``ListenerSocket`` per declared listener. A socket systemd passed with a declared
/// listener's name is used instead of opening one, and so is a socket systemd's file
/// descriptor store kept for it (``ListenerOrigins``), which the table also keeps in the
/// store (``storeChanges(storing:)``).
///
/// A reload is two steps: ``prepare(_:logger:)`` opens what is new or moved (nothing
/// changes if one fails) and ``commit(_:logger:)`` closes what is replaced or removed.
final class ListenerTable {
    /// What a reload opened and will close, between ``prepare(_:logger:)`` and ``commit(_:logger:)``.
    struct Reload {
        /// Every declared listener after the reload, the systemd ones excluded.
        fileprivate var sockets: [String: ListenerSocket]
        /// The sockets opened for the reload, closed again if it is abandoned.
        fileprivate var opened: [ListenerSocket]
        /// The sockets the reload replaces or removes.
        fileprivate var closing: [ListenerSocket]

        /// Closes what ``ListenerTable/prepare(_:logger:)`` opened: the reload does not happen.
        func abandon() {
            for socket in opened { socket.close(removingFile: true) }
        }
    }

    /// The sockets systemd passed.
    private let systemd: Listeners
    /// The listeners added with ``ServiceManager/addListener(_:_:)``: a reloaded
    /// configuration keeps them unless it declares the same name.
    private let declaredInCode: [String: ListenerConfiguration]
    /// The sockets the master opened, or took from systemd's file descriptor store, by name.
    private var sockets: [String: ListenerSocket] = [:]
    /// The listeners whose socket systemd's file descriptor store holds (as far as the
    /// master knows: what it stored or was handed back), by name: the descriptor stored.
    private var stored: [String: Int32] = [:]
    /// The listeners whose stored sockets are to be removed from the store, and why.
    private var pendingRemovals: [(listener: String, reason: String)] = []
    /// What forks hand workers, every socket in descriptor order; each worker keeps those of its service.
    private(set) var listeners: Listeners

    /// A change of systemd's file descriptor store that ``storeChanges(storing:)`` asks for.
    enum StoreChange: Equatable {
        /// Store the listener's socket (`FDSTORE=1`).
        case store(listener: String, descriptor: FileDescriptor)
        /// Remove what the store holds for the listener (`FDSTOREREMOVE=1`), and why.
        case remove(listener: String, reason: String)
    }

    /// Takes the sockets systemd passed (``ListenerOrigins`` decides which declared
    /// listener uses which), then opens every declared listener none was passed for,
    /// lowest names first. Stored sockets not used are closed, logged and removed from
    /// the store at the next ``storeChanges(storing:)``.
    ///
    /// - Parameters:
    ///   - passed: the sockets systemd passed, socket units' and the store's.
    ///   - declared: the listeners of the configuration.
    ///   - declaredInCode: the listeners added in code, kept across reloads unless a
    ///     reloaded configuration declares the same name.
    /// - Throws: ``ListenerError`` for the first that cannot be opened; the ones opened
    ///   before it are closed.
    init(systemd passed: Listeners, declared: [String: ListenerConfiguration], declaredInCode: [String: ListenerConfiguration],
         logger: Logger) throws(ListenerError) {
        let origins = ListenerOrigins(declared: declared, passed: passed) { socket in
            let descriptor = FileDescriptor(rawValue: socket.descriptor)
            guard Syscall.isListeningStreamSocket(descriptor) else { return nil }
            return try? Syscall.boundAddress(of: descriptor)
        }
        systemd = origins.socketUnits
        self.declaredInCode = declaredInCode
        listeners = origins.socketUnits
        for dropped in origins.dropped {
            drop(dropped.socket, reason: dropped.reason, logger: logger)
        }
        for (name, passed) in origins.fromSocketUnits.sorted(by: { $0.key < $1.key }) {
            Self.logFromSystemd(name, passed, declared[name]!, logger: logger)
        }
        var toOpen = origins.toOpen
        for (name, passed) in origins.fromStore.sorted(by: { $0.key < $1.key }) {
            let descriptor = FileDescriptor(rawValue: passed.descriptor)
            let bound = (try? Syscall.boundAddress(of: descriptor)) ?? .other("unknown")
            switch ListenerSocket.restore(name, declared[name]!, descriptor: descriptor, bound: bound) {
            case .success(let socket):
                sockets[name] = socket
                stored[name] = socket.descriptor.rawValue
                logger.info("listener \(name): using the socket systemd's file descriptor store kept (fd \(passed.descriptor)) on \(socket.boundAddress)",
                            metadata: ["event": .event(.fdStoreRestored), "name": "\(name)", "fd": "\(passed.descriptor)",
                                       "address": "\(socket.boundAddress)"])
            case .failure(let error):
                drop(passed, reason: "\(error.problem)", logger: logger)
                toOpen.append(name)
            }
        }
        for name in toOpen.sorted() {
            do {
                sockets[name] = try ListenerSocket.open(name, declared[name]!)
            } catch {
                closeAll()
                throw error
            }
            Self.log(.listenerOpened, sockets[name]!, logger: logger)
        }
        listeners = merged()
    }

    /// The listeners of the master's previous image, handed over across an in-place upgrade:
    /// systemd's as they were passed, the declared ones as sockets already open, those named
    /// in `stored` held by systemd's file descriptor store.
    init(adopting systemd: Listeners, sockets: [ListenerSocket], stored: Set<String>, declaredInCode: [String: ListenerConfiguration]) {
        self.systemd = systemd
        self.declaredInCode = declaredInCode
        for socket in sockets {
            self.sockets[socket.name] = socket
            if stored.contains(socket.name) { self.stored[socket.name] = socket.descriptor.rawValue }
        }
        listeners = systemd // every property set before merged() reads them
        listeners = merged()
    }

    /// The sockets the master opened, by name, for the upgrade state.
    var ownSockets: [ListenerSocket] {
        sockets.values.sorted { $0.name < $1.name }
    }

    /// Whether systemd's file descriptor store holds `socket`, for the upgrade state.
    func isStored(_ socket: ListenerSocket) -> Bool {
        stored[socket.name] == socket.descriptor.rawValue
    }

    /// The sockets systemd passed, for the upgrade state.
    var systemdListeners: Listeners {
        systemd
    }

    /// Closes `socket`, a stored socket that is not used, and removes it from the store at
    /// the next ``storeChanges(storing:)``.
    private func drop(_ socket: Listeners.Listener, reason: String, logger: Logger) {
        Syscall.close(FileDescriptor(rawValue: socket.descriptor))
        logger.warning("not using the socket systemd's file descriptor store kept as \(socket.name) (fd \(socket.descriptor)): \(reason); it is closed and removed from the store",
                       metadata: ["event": .event(.fdStoreDropped), "fdname": "\(socket.name)", "fd": "\(socket.descriptor)",
                                  "reason": "\(reason)"])
        if let listener = FileDescriptorStoreName.listener(in: socket.name) {
            pendingRemovals.append((listener, reason))
        }
    }

    /// The listeners after a reload whose configuration declares `declared`: those added
    /// in code, and the configuration's, which win for the same name.
    func declared(afterReloadDeclaring declared: [String: ListenerConfiguration]) -> [String: ListenerConfiguration] {
        declaredInCode.merging(declared) { $1 }
    }

    /// Opens the listeners `declared` adds or moves, then applies a new mode or backlog to
    /// the ones it keeps at their address. A listener renamed at the same address keeps its
    /// socket under the new name.
    ///
    /// - Throws: ``ListenerError`` for the first that cannot be opened or updated: what was
    ///   opened is closed again and the updates already applied are undone, so the running
    ///   listeners are as they were.
    func prepare(_ declared: [String: ListenerConfiguration], logger: Logger) throws(ListenerError) -> Reload {
        let all = self.declared(afterReloadDeclaring: declared)
        let names = all.keys.sorted().filter { systemd[$0].isEmpty }
        var reload = Reload(sockets: [:], opened: [], closing: [])
        var kept: [(socket: ListenerSocket, configuration: ListenerConfiguration)] = []
        // Kept under its own name first, then renamed: a socket whose address a listener
        // of another name now has.
        var reused: Set<Int32> = []
        for name in names {
            if let socket = sockets[name], socket.configuration.address == all[name]!.address {
                kept.append((socket, all[name]!))
                reused.insert(socket.descriptor.rawValue)
            }
        }
        do throws(ListenerError) {
            for name in names where !kept.contains(where: { $0.socket.name == name }) {
                let configuration = all[name]!
                if var socket = sockets.values.sorted(by: { $0.name < $1.name }).first(where: {
                    $0.configuration.address == configuration.address && !reused.contains($0.descriptor.rawValue)
                }) {
                    reused.insert(socket.descriptor.rawValue)
                    socket.name = name
                    kept.append((socket, configuration))
                    continue
                }
                let socket: ListenerSocket
                do {
                    socket = try ListenerSocket.open(name, configuration)
                } catch {
                    throw explainingOwnPort(error)
                }
                reload.opened.append(socket)
                reload.sockets[name] = socket
            }
        } catch {
            reload.abandon()
            throw error
        }
        // Updates last: every open that could fail has succeeded, and an update that fails
        // undoes the ones before it.
        var updated: [(socket: ListenerSocket, old: ListenerConfiguration)] = []
        for (socket, configuration) in kept {
            var socket = socket
            let old = socket.configuration
            do {
                try socket.update(to: configuration)
            } catch {
                // The failed update left its socket as it was; the earlier ones are undone.
                for (done, old) in updated.reversed() {
                    var done = done
                    try? done.update(to: old)
                }
                reload.abandon()
                throw error
            }
            updated.append((socket, old))
            reload.sockets[socket.name] = socket
        }
        let remaining = Set(reload.sockets.values.map(\.descriptor.rawValue))
        reload.closing = sockets.values.filter { !remaining.contains($0.descriptor.rawValue) }
        return reload
    }

    /// `error`, with a fix that explains it when the port in use is one of this daemon's
    /// own listeners: a reload opens the new socket before it closes the old one, so moving
    /// a listener to another host on the same port cannot work in one reload.
    private func explainingOwnPort(_ error: ListenerError) -> ListenerError {
        guard error.cause == .addressInUse, case .tcp(_, let port) = error.address, port != 0,
              let own = sockets.values.sorted(by: { $0.name < $1.name }).first(where: {
                  if case .tcp(_, port) = $0.bound { true } else { false }
              })
        else { return error }
        return ListenerError(
            name: error.name, address: error.address, problem: error.problem,
            fix: "this daemon's listener \"\(own.name)\" listens on \(own.boundAddress), and a reload opens a new socket before it closes the old one: move the listener in two reloads through another port, or restart the daemon",
            cause: error.cause)
    }

    /// Puts a prepared reload in force: logs what is opened and kept, closes what is
    /// replaced or removed (workers still running hold their own copies).
    func commit(_ reload: Reload, logger: Logger) {
        for socket in reload.opened { Self.log(.listenerOpened, socket, logger: logger) }
        for (name, socket) in reload.sockets.sorted(by: { $0.key < $1.key }) where !reload.opened.contains(where: { $0.name == name }) {
            Self.log(.listenerKept, socket, logger: logger)
        }
        for socket in reload.closing {
            socket.close(removingFile: true)
            Self.log(.listenerClosed, socket, logger: logger)
        }
        sockets = reload.sockets
        listeners = merged()
    }

    /// Closes every socket the master opened and removes the unix sockets' files (at exit),
    /// except the files of sockets in systemd's file descriptor store: the next start gets
    /// them back, and the file is how clients reach them.
    func closeAll() {
        for socket in sockets.values { socket.close(removingFile: stored[socket.name] != socket.descriptor.rawValue) }
        sockets = [:]
    }

    /// What systemd's file descriptor store must be told for it to hold the master's
    /// listeners (with `storing`, ``ManagerConfiguration/fileDescriptorStore``) or none of
    /// them: removals first (sockets dropped at start, replaced or removed by a reload,
    /// or all of them without `storing`), then the sockets not stored yet. Sockets of
    /// socket units are never stored. The changes count as made: call
    /// ``storeFailed(listener:)`` for a socket that could not be stored.
    func storeChanges(storing: Bool) -> [StoreChange] {
        var changes: [StoreChange] = []
        var removed: Set<String> = []
        for (listener, reason) in pendingRemovals where removed.insert(listener).inserted {
            changes.append(.remove(listener: listener, reason: reason))
            // Removing by name removes every socket of that name, the one in use too.
            stored[listener] = nil
        }
        pendingRemovals = []
        for (listener, descriptor) in stored.sorted(by: { $0.key < $1.key }) {
            let reason: String? = if !storing {
                "fd_store is off"
            } else if let socket = sockets[listener] {
                socket.descriptor.rawValue == descriptor ? nil : "the listener has a new socket"
            } else {
                "the listener is no longer declared"
            }
            guard let reason else { continue }
            changes.append(.remove(listener: listener, reason: reason))
            stored[listener] = nil
        }
        guard storing else { return changes }
        for (listener, socket) in sockets.sorted(by: { $0.key < $1.key }) where stored[listener] == nil {
            changes.append(.store(listener: listener, descriptor: socket.descriptor))
            stored[listener] = socket.descriptor.rawValue
        }
        return changes
    }

    /// The socket ``storeChanges(storing:)`` asked to store for `listener` was not: the
    /// next call asks again.
    func storeFailed(listener: String) {
        stored[listener] = nil
    }

    /// systemd's sockets and the master's, in descriptor order.
    private func merged() -> Listeners {
        let own = sockets.values.map { Listeners.Listener(name: $0.name, descriptor: $0.descriptor.rawValue) }
        return Listeners(all: (systemd.all + own).sorted { $0.descriptor < $1.descriptor })
    }

    private static func log(_ event: LogEventName, _ socket: ListenerSocket, logger: Logger) {
        let verb = switch event {
        case .listenerOpened: "listening on"
        case .listenerKept: "kept on"
        default: "closed on"
        }
        logger.info("listener \(socket.name) \(verb) \(socket.boundAddress)",
                    metadata: ["event": .event(event), "name": "\(socket.name)", "address": "\(socket.boundAddress)",
                               "fd": "\(socket.descriptor.rawValue)"])
    }

    private static func logFromSystemd(_ name: String, _ passed: Listeners.Listener, _ declared: ListenerConfiguration, logger: Logger) {
        logger.info("listener \(name): using the socket systemd passed (fd \(passed.descriptor)) instead of opening \(declared.address)",
                    metadata: ["event": .event(.listenerFromSystemd), "name": "\(name)", "fd": "\(passed.descriptor)",
                               "address": "\(declared.address)"])
    }
}

extension Listeners {
    /// The sockets named in `names`, or every socket when `names` is `nil`: what the
    /// workers of a service whose ``ServiceConfiguration/listeners`` is `names` keep.
    func only(_ names: [String]?) -> Listeners {
        guard let names else { return self }
        return Listeners(all: all.filter { names.contains($0.name) })
    }
}
