/// Where each declared listener's socket comes from at start, given the sockets systemd
/// passed (`LISTEN_FDS`).
///
/// For one name, the first that applies wins:
/// 1. a socket unit's socket of that name (`FileDescriptorName=<name>`);
/// 2. the socket systemd's file descriptor store handed back as
///    `cotyledon.store.<name>` (``FileDescriptorStoreName``), when it is a listening
///    stream socket bound where the listener is configured (the same host and port, any
///    port when the configured one is 0; the same unix path);
/// 3. a socket the master opens from the configuration.
///
/// A stored socket that is not used (another one wins, its address differs, no listener
/// of its name is declared, a second one of the same name) is dropped: the master closes
/// it and removes it from the store. Stored sockets never reach workers under the store's
/// name. Deciding reads nothing but what it is given: the addresses the sockets are bound
/// to come from the caller.
struct ListenerOrigins {
    /// A stored socket that is not used, and why.
    struct Dropped: Equatable {
        /// The socket, under the store's name.
        let socket: Listeners.Listener
        /// Why it is not used, as logged.
        let reason: String
    }

    /// The sockets of socket units (every passed socket not from the store): workers get
    /// them under their names.
    let socketUnits: Listeners
    /// The declared listeners that use a socket unit's socket, by name.
    let fromSocketUnits: [String: Listeners.Listener]
    /// The declared listeners that use a stored socket, by name.
    let fromStore: [String: Listeners.Listener]
    /// The declared listeners the master opens, in name order.
    let toOpen: [String]
    /// The stored sockets not used, in descriptor order.
    let dropped: [Dropped]

    /// Decides for every listener of `declared`.
    ///
    /// - Parameters:
    ///   - declared: the declared listeners, by name.
    ///   - passed: every socket systemd passed.
    ///   - boundAddress: where a stored socket is bound, `nil` when it is not a listening
    ///     stream socket.
    init(declared: [String: ListenerConfiguration], passed: Listeners, boundAddress: (Listeners.Listener) -> BoundSocketAddress?) {
        socketUnits = Listeners(all: passed.all.filter { FileDescriptorStoreName.listener(in: $0.name) == nil })
        var fromSocketUnits: [String: Listeners.Listener] = [:]
        var fromStore: [String: Listeners.Listener] = [:]
        var toOpen: [String] = []
        var dropped: [Dropped] = []
        let stored = passed.all.filter { FileDescriptorStoreName.listener(in: $0.name) != nil }
        for socket in stored {
            let name = FileDescriptorStoreName.listener(in: socket.name)!
            guard let configuration = declared[name] else {
                dropped.append(Dropped(socket: socket, reason: "no listener named \(name) is declared"))
                continue
            }
            if let unit = socketUnits[name].first {
                dropped.append(Dropped(socket: socket, reason: "systemd passed a socket unit's socket named \(name) (fd \(unit.descriptor)), which comes first"))
                continue
            }
            if let used = fromStore[name] {
                dropped.append(Dropped(socket: socket, reason: "another stored socket of that name is used (fd \(used.descriptor))"))
                continue
            }
            guard let bound = boundAddress(socket) else {
                dropped.append(Dropped(socket: socket, reason: "it is not a listening stream socket"))
                continue
            }
            if let mismatch = Self.mismatch(configured: configuration.address, bound: bound) {
                dropped.append(Dropped(socket: socket, reason: mismatch))
                continue
            }
            fromStore[name] = socket
        }
        for name in declared.keys.sorted() {
            if let unit = socketUnits[name].first {
                fromSocketUnits[name] = unit
            } else if fromStore[name] == nil {
                toOpen.append(name)
            }
        }
        self.fromSocketUnits = fromSocketUnits
        self.fromStore = fromStore
        self.toOpen = toOpen
        self.dropped = dropped
    }

    /// Why a socket bound at `bound` is not the listener configured at `configured`, or
    /// `nil` when it is: the same IP address (compared in its canonical form) and port, any
    /// port when the configured one is 0; the same unix path (or the temporary name a
    /// master bound it at before renaming it over that path).
    static func mismatch(configured: ListenerConfiguration.Address, bound: BoundSocketAddress) -> String? {
        let matches = switch (configured, bound) {
        case let (.tcp(host, port), .tcp(boundHost, boundPort)):
            Syscall.canonicalIPLiteral(host) == boundHost && (port == 0 || port == boundPort)
        case let (.unix(path), .unix(boundPath)):
            ListenerSocket.isBound(at: boundPath, for: path)
        default:
            false
        }
        return matches ? nil : "it is bound to \(bound), not \(configured) as configured"
    }
}
