import Glibc
import SystemPackage

/// One listening socket the master opened for a declared listener: non-blocking and
/// close-on-exec, `SO_REUSEADDR` for TCP, `IPV6_V6ONLY` for IPv6. A unix socket is bound
/// at a temporary name in its directory, given its mode, then renamed over its path, so
/// the path never lacks a socket while a stale one is replaced.
struct ListenerSocket {
    /// The listener's name (a reload that renames a listener keeps its socket).
    var name: String
    /// Its settings.
    var configuration: ListenerConfiguration
    /// The listening descriptor.
    let descriptor: FileDescriptor
    /// The address it is bound to: the real port for a port 0.
    let bound: ListenerConfiguration.Address
    /// The device and inode of a unix socket's file, to remove it at exit only if the
    /// file at the path is still this socket.
    private let fileIdentity: (device: dev_t, inode: ino_t)?

    /// Opens, binds and listens as `configuration` says.
    ///
    /// - Throws: ``ListenerError`` naming the call that failed and the fix.
    static func open(_ name: String, _ configuration: ListenerConfiguration) throws(ListenerError) -> ListenerSocket {
        let address = configuration.address
        let backlog = Int32(clamping: configuration.backlog)
        switch address {
        case .tcp(let host, let port):
            let fd: FileDescriptor
            do {
                fd = try Syscall.tcpStreamSocket(ipv6: address.isIPv6)
            } catch {
                throw .systemCall("socket", error, name: name, address: address)
            }
            var call = "setsockopt"
            do {
                try Syscall.enableSocketOption(fd, level: SOL_SOCKET, option: SO_REUSEADDR)
                if address.isIPv6 {
                    try Syscall.enableSocketOption(fd, level: Int32(IPPROTO_IPV6), option: IPV6_V6ONLY)
                }
                call = "bind"
                try Syscall.bind(fd, host: host, port: port, ipv6: address.isIPv6)
                call = "listen"
                try Syscall.listen(fd, backlog: backlog)
                call = "getsockname"
                let bound = ListenerConfiguration.Address.tcp(host: host, port: try Syscall.boundPort(of: fd))
                return ListenerSocket(name: name, configuration: configuration, descriptor: fd, bound: bound, fileIdentity: nil)
            } catch {
                Syscall.close(fd)
                throw .systemCall(call, error, name: name, address: address)
            }
        case .unix(let path):
            return try openUnix(name, configuration, path: path, backlog: backlog)
        }
    }

    /// The socket the master's previous image opened for `name`, handed over across an
    /// in-place upgrade (close-on-exec again); `device` and `inode` identify a unix socket's file.
    static func adopt(_ name: String, _ configuration: ListenerConfiguration, descriptor: FileDescriptor,
                      bound: ListenerConfiguration.Address, device: UInt64, inode: UInt64) -> ListenerSocket {
        try? Syscall.setCloseOnExec(descriptor.rawValue, true)
        let identity: (device: dev_t, inode: ino_t)? = if case .unix = configuration.address {
            (dev_t(device), ino_t(inode))
        } else {
            nil
        }
        return ListenerSocket(name: name, configuration: configuration, descriptor: descriptor, bound: bound, fileIdentity: identity)
    }

    /// The device and inode of a unix socket's file, 0 for a TCP socket, for the upgrade state.
    var fileIdentityNumbers: (device: UInt64, inode: UInt64) {
        fileIdentity.map { (UInt64($0.device), UInt64($0.inode)) } ?? (0, 0)
    }

    /// Takes `descriptor`, a listening socket systemd's file descriptor store handed back,
    /// bound at `address` for `configuration` (``ListenerOrigins`` checked it), as the
    /// listener `name`: non-blocking, with the configured backlog (`listen` again) and, for
    /// a unix socket, the configured mode. A unix socket is used only while a socket file
    /// is at its path; that file counts as the socket's own, so the master removes it at
    /// exit when it does not store the socket.
    ///
    /// - Returns: the socket, or why it cannot be used (the caller closes it).
    static func restore(_ name: String, _ configuration: ListenerConfiguration, descriptor: FileDescriptor,
                        bound address: BoundSocketAddress) -> Result<ListenerSocket, ListenerError> {
        let bound: ListenerConfiguration.Address
        var fileIdentity: (device: dev_t, inode: ino_t)?
        var call = "fcntl(O_NONBLOCK)"
        do throws(Errno) {
            try Syscall.setNonBlocking(descriptor)
            switch (configuration.address, address) {
            case let (.tcp(host, _), .tcp(_, port)):
                bound = .tcp(host: host, port: port)
            case let (.unix(path), _):
                call = "stat \(path)"
                let status = try Syscall.linkStatus(path)
                guard FileKind(mode: status.st_mode) == .socket else {
                    return .failure(ListenerError(name: name, address: configuration.address,
                                                  problem: "\(path) is a \(FileKind(mode: status.st_mode).fieldValue), not the socket's file",
                                                  fix: "remove that file"))
                }
                fileIdentity = (status.st_dev, status.st_ino)
                call = "chmod \(path)"
                try Syscall.changeMode(path, to: mode_t(configuration.effectiveMode))
                bound = configuration.address
            default:
                return .failure(ListenerError(name: name, address: configuration.address, problem: "it is bound to \(address)",
                                              fix: "none needed: the listener is opened from the configuration"))
            }
            call = "listen"
            try Syscall.listen(descriptor, backlog: Int32(clamping: configuration.backlog))
        } catch {
            return .failure(.systemCall(call, error, name: name, address: configuration.address))
        }
        return .success(ListenerSocket(name: name, configuration: configuration, descriptor: descriptor, bound: bound,
                                       fileIdentity: fileIdentity))
    }

    private static func openUnix(_ name: String, _ configuration: ListenerConfiguration, path: String,
                                 backlog: Int32) throws(ListenerError) -> ListenerSocket {
        let address = configuration.address
        try refuseLiveOrNonSocket(at: path, name: name, address: address)
        guard let temporary = temporaryPath(for: path, pid: getpid()) else {
            throw ListenerError(name: name, address: address, problem: "the directory's path is too long for a temporary socket name",
                                fix: "choose a shorter path")
        }
        let fd: FileDescriptor
        do {
            fd = try Syscall.unixStreamSocket()
        } catch {
            throw .systemCall("socket", error, name: name, address: address)
        }
        var call = "bind \(temporary)"
        do {
            try? Syscall.removeFile(temporary)
            try Syscall.bind(fd, to: ControlSocket.address(temporary))
            call = "chmod \(temporary)"
            try Syscall.changeMode(temporary, to: mode_t(configuration.effectiveMode))
            call = "listen"
            try Syscall.listen(fd, backlog: backlog)
            let status = try Syscall.linkStatus(temporary)
            call = "rename \(temporary) to \(path)"
            try Syscall.rename(temporary, to: path)
            return ListenerSocket(name: name, configuration: configuration, descriptor: fd, bound: address,
                                  fileIdentity: (status.st_dev, status.st_ino))
        } catch {
            try? Syscall.removeFile(temporary)
            Syscall.close(fd)
            throw .systemCall(call, error, name: name, address: address)
        }
    }

    /// The name in `path`'s directory at which the master `pid` binds a socket for `path`
    /// before renaming it over `path` (`getsockname` keeps telling that name): the file
    /// name, shortened to fit in `sun_path` if needed, then `.<pid>.tmp`. `nil` when the
    /// directory's path leaves no room.
    static func temporaryPath(for path: String, pid: pid_t) -> String? {
        let directory = ListenerError.directory(of: path)
        let suffix = ".\(pid).tmp"
        let base = path.dropFirst(directory == "/" ? 1 : directory.utf8.count + 1)
        let room = ListenerConfiguration.maximumUnixPathLength - (directory == "/" ? 1 : directory.utf8.count + 1) - suffix.utf8.count
        guard room > 0 else { return nil }
        return (directory == "/" ? "/" : directory + "/") + String(decoding: base.utf8.prefix(room), as: UTF8.self) + suffix
    }

    /// Whether a socket bound at `bound` was bound for `path`: at `path` itself, or at the
    /// ``temporaryPath(for:pid:)`` of any master.
    static func isBound(at bound: String, for path: String) -> Bool {
        if bound == path { return true }
        guard bound.hasSuffix(".tmp") else { return false }
        let stem = bound.dropLast(4)
        guard let dot = stem.lastIndex(of: "."), let pid = pid_t(stem[stem.index(after: dot)...]), pid > 0 else { return false }
        return temporaryPath(for: path, pid: pid) == bound
    }

    /// Refuses a path that holds anything but a socket, or a socket a process listens on.
    private static func refuseLiveOrNonSocket(at path: String, name: String, address: ListenerConfiguration.Address) throws(ListenerError) {
        let found: UnixSocketPath
        do {
            found = try UnixSocketPath.probe(path)
        } catch {
            throw .systemCall(error.call, error.cause, name: name, address: address)
        }
        switch found {
        case .absent, .stale:
            return
        case .notASocket(let kind):
            throw ListenerError(name: name, address: address, problem: "\(path) is a \(kind.fieldValue), not a socket",
                                fix: "remove that file or choose another path")
        case .live:
            throw ListenerError(name: name, address: address, problem: "a process already listens on \(path)",
                                fix: "stop the other daemon or choose another path")
        }
    }

    /// The address it is bound to, as logged.
    var boundAddress: String {
        bound.description
    }

    /// Applies, for a unix socket, a new mode, then a new backlog (`listen` again).
    ///
    /// - Throws: ``ListenerError`` naming the call that failed; the socket is then as it
    ///   was (a mode applied before a failed `listen` is undone).
    mutating func update(to new: ListenerConfiguration) throws(ListenerError) {
        var modeChanged: (path: String, old: UInt32)?
        if case .unix(let path) = new.address, new.effectiveMode != configuration.effectiveMode {
            do {
                try Syscall.changeMode(path, to: mode_t(new.effectiveMode))
            } catch {
                throw .systemCall("chmod \(path)", error, name: name, address: new.address)
            }
            modeChanged = (path, configuration.effectiveMode)
        }
        if new.backlog != configuration.backlog {
            do {
                try Syscall.listen(descriptor, backlog: Int32(clamping: new.backlog))
            } catch {
                if let modeChanged { try? Syscall.changeMode(modeChanged.path, to: mode_t(modeChanged.old)) }
                throw .systemCall("listen", error, name: name, address: new.address)
            }
        }
        configuration = new
    }

    /// Closes the socket and, with `removingFile`, removes a unix socket's file if the
    /// file at its path is still this socket (not one that replaced it since).
    func close(removingFile: Bool) {
        if removingFile, case .unix(let path) = configuration.address, let fileIdentity,
           let status = try? Syscall.linkStatus(path), FileKind(mode: status.st_mode) == .socket,
           status.st_dev == fileIdentity.device, status.st_ino == fileIdentity.inode {
            try? Syscall.removeFile(path)
        }
        Syscall.close(descriptor)
    }
}
