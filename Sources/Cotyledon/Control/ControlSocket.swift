internal import CotyledonControlProtocol
import Glibc
import SystemPackage

/// The master's listening unix socket for control clients (`cotyledonctl`): created in a
/// trusted directory under a restrictive umask and chmod 0600, a stale socket of a crashed
/// master replaced, a live one or any other file refused, and removed at exit only if it is
/// still this socket.
struct ControlSocket {
    /// The listening descriptor (non-blocking, close-on-exec).
    let descriptor: FileDescriptor
    /// Its path.
    let path: String
    /// The device and inode of the socket file created, to recognize it at exit.
    private let identity: (device: dev_t, inode: ino_t)

    /// The default path for `program`: `$RUNTIME_DIRECTORY/control.sock` under systemd,
    /// else `/run/<program>/control.sock` for root, else
    /// `$XDG_RUNTIME_DIR/<program>/control.sock` or `/tmp/<program>-<uid>/control.sock` — the
    /// rule `cotyledonctl --program` follows too (`ControlSocketLocation`).
    static func defaultPath(program: String) -> String {
        ControlSocketLocation.defaultPath(program: program, uid: geteuid())
    }

    /// Binds and listens at `path`, creating its directory (0700) if missing.
    ///
    /// The directory must be trusted (see `ControlSocketDirectory`). Something already at
    /// `path` is replaced only if it is a socket nobody listens on (a connection refused): a
    /// master that died left it. A socket that accepts connections, or anything that is not a
    /// socket, is refused.
    init(path: String) throws(ControlSocketError) {
        self.path = path
        guard path.utf8.count < 108 else { throw .pathTooLong(path) }
        try Self.prepareDirectory(ControlSocketDirectory.containing(path))
        try Self.clearStaleSocket(at: path)
        let fd: FileDescriptor
        do {
            fd = try Syscall.unixStreamSocket()
        } catch {
            throw .system("socket", error)
        }
        do {
            identity = try Self.bindAndListen(fd, at: path)
        } catch {
            Syscall.close(fd)
            throw .system("bind/listen \(path)", error)
        }
        descriptor = fd
    }

    /// The listening socket the master's previous image created at `path`, whose file had
    /// `device` and `inode`, handed over across an in-place upgrade; close-on-exec again.
    init(adopting descriptor: FileDescriptor, path: String, device: UInt64, inode: UInt64) {
        self.path = path
        self.descriptor = descriptor
        identity = (dev_t(device), ino_t(inode))
        try? Syscall.setCloseOnExec(descriptor.rawValue, true)
    }

    /// The device and inode of the socket file, for the upgrade's record.
    var fileIdentity: (device: UInt64, inode: UInt64) {
        (UInt64(identity.device), UInt64(identity.inode))
    }

    /// Whether the file at ``path`` is still the socket this one created: not removed (by
    /// `systemd-tmpfiles`, an operator) nor replaced since.
    var fileIsPresent: Bool {
        guard let status = try? Syscall.linkStatus(path) else { return false }
        return FileKind(mode: status.st_mode) == .socket && status.st_dev == identity.device && status.st_ino == identity.inode
    }

    /// Binds `fd` at `path` under a umask that lets only the owner in, makes the file 0600
    /// and listens; returns the device and inode of the socket file.
    private static func bindAndListen(_ fd: FileDescriptor, at path: String) throws(Errno) -> (device: dev_t, inode: ino_t) {
        let previousMask = umask(0o177)
        let bound = Result { () throws(Errno) in try Syscall.bind(fd, to: address(path)) }
        umask(previousMask)
        try bound.get()
        let status = try Syscall.linkStatus(path)
        try Syscall.changeMode(path, to: 0o600)
        try Syscall.listen(fd, backlog: 128)
        return (status.st_dev, status.st_ino)
    }

    /// Closes the socket and removes its file (at exit) — only if the file at the path is
    /// still this socket, not one another master created there since.
    func remove() {
        if fileIsPresent {
            try? Syscall.removeFile(path)
        }
        Syscall.close(descriptor)
    }

    /// Creates `directory` (0700) if it is missing, then checks it can be trusted.
    private static func prepareDirectory(_ directory: String) throws(ControlSocketError) {
        var verdict = ControlSocketDirectory.check(directory)
        if verdict == .missing {
            do {
                try Syscall.makeDirectory(directory, mode: 0o700)
            } catch .fileExists {
                // Created meanwhile: checked below like any other.
            } catch {
                throw .system("mkdir \(directory)", error)
            }
            verdict = ControlSocketDirectory.check(directory)
        }
        switch verdict {
        case .trusted, .shared: return
        case .missing: throw .system("mkdir \(directory)", .noSuchFileOrDirectory)
        case .untrusted(let reason): throw .untrustedDirectory(reason)
        }
    }

    /// Removes a stale socket at `path`; refuses a live socket or anything else.
    private static func clearStaleSocket(at path: String) throws(ControlSocketError) {
        let found: UnixSocketPath
        do {
            found = try UnixSocketPath.probe(path)
        } catch {
            throw .system(error.call, error.cause)
        }
        switch found {
        case .absent: return
        case .live: throw .alreadyServed(path)
        case .notASocket: throw .notASocket(path)
        case .stale: break
        }
        do {
            try Syscall.removeFile(path)
        } catch .noSuchFileOrDirectory {
            return // removed meanwhile
        } catch {
            throw .system("unlink \(path)", error)
        }
    }

    /// The `sockaddr_un` of `path` (at most 107 bytes, checked by the caller).
    static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.enumerated() { bytes[index] = byte }
        }
        return address
    }
}

/// Why the control socket could not be created.
public enum ControlSocketError: Error, CustomStringConvertible {
    /// Unix socket paths are limited to 107 bytes.
    case pathTooLong(String)
    /// Another live master serves this path.
    case alreadyServed(String)
    /// Something other than a socket is at this path.
    case notASocket(String)
    /// Users other than the daemon's (and root) can write to the socket's directory; the
    /// reason names the directory.
    case untrustedDirectory(String)
    /// A system call failed.
    case system(String, Errno)

    /// The message, naming the fix.
    public var description: String {
        switch self {
        case .pathTooLong(let path):
            return "control socket path \(path) is longer than 107 bytes; choose a shorter path"
        case .alreadyServed(let path):
            return "another daemon already serves the control socket \(path); stop it or choose another path"
        case .notASocket(let path):
            return "\(path) exists and is not a socket; the control socket replaces only a stale socket: remove it or choose another path"
        case .untrustedDirectory(let reason):
            return "refusing the control socket's directory: \(reason); another user could replace the socket: use a directory only the daemon's user (or root) can write to"
        case .system(let call, let failure):
            return "\(call) failed: \(failure); check the directory exists and is writable by the daemon's user"
        }
    }
}
