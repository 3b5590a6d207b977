import Logging
import SystemPackage

/// The listening sockets the master hands its workers: the ones systemd passed and the
/// declared ones (``ManagerConfiguration/listeners``) it opened itself, one
/// ``ListenerSocket`` per declared listener. A socket systemd passed with a declared
/// listener's name is used instead of opening one.
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
    /// The sockets the master opened, by name.
    private var sockets: [String: ListenerSocket] = [:]
    /// What forks hand workers, every socket in descriptor order; each worker keeps those of its service.
    private(set) var listeners: Listeners

    /// Opens every declared listener systemd did not pass, lowest names first.
    ///
    /// - Parameters:
    ///   - systemd: the sockets systemd passed.
    ///   - declared: the listeners of the configuration.
    ///   - declaredInCode: the listeners added in code, kept across reloads unless a
    ///     reloaded configuration declares the same name.
    /// - Throws: ``ListenerError`` for the first that cannot be opened; the ones opened
    ///   before it are closed.
    init(systemd: Listeners, declared: [String: ListenerConfiguration], declaredInCode: [String: ListenerConfiguration],
         logger: Logger) throws(ListenerError) {
        self.systemd = systemd
        self.declaredInCode = declaredInCode
        listeners = systemd
        for name in declared.keys.sorted() {
            if let passed = systemd[name].first {
                Self.logFromSystemd(name, passed, declared[name]!, logger: logger)
                continue
            }
            do {
                sockets[name] = try ListenerSocket.open(name, declared[name]!)
            } catch {
                for socket in sockets.values { socket.close(removingFile: true) }
                throw error
            }
            Self.log(.listenerOpened, sockets[name]!, logger: logger)
        }
        listeners = merged()
    }

    /// The listeners of the master's previous image, handed over across an in-place upgrade:
    /// systemd's as they were passed, the declared ones as sockets already open.
    init(adopting systemd: Listeners, sockets: [ListenerSocket], declaredInCode: [String: ListenerConfiguration]) {
        self.systemd = systemd
        self.declaredInCode = declaredInCode
        for socket in sockets { self.sockets[socket.name] = socket }
        listeners = systemd
        listeners = merged()
    }

    /// The sockets the master opened, by name, for the upgrade state.
    var ownSockets: [ListenerSocket] {
        sockets.values.sorted { $0.name < $1.name }
    }

    /// The sockets systemd passed, for the upgrade state.
    var systemdListeners: Listeners {
        systemd
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

    /// Closes every socket the master opened and removes the unix sockets' files (at exit).
    func closeAll() {
        for socket in sockets.values { socket.close(removingFile: true) }
        sockets = [:]
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
