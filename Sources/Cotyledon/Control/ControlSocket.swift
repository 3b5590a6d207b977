import CCotyledonLinux
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
    /// `$XDG_RUNTIME_DIR/<program>/control.sock` or `/tmp/<program>-<uid>/control.sock`.
    static func defaultPath(program: String) -> String {
        if let runtime = getenv("RUNTIME_DIRECTORY").map({ String(cString: $0) }), !runtime.isEmpty {
            return "\(runtime.split(separator: ":").first.map(String.init) ?? runtime)/control.sock"
        }
        if geteuid() == 0 { return "/run/\(program)/control.sock" }
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtime.isEmpty {
            return "\(runtime)/\(program)/control.sock"
        }
        return "/tmp/\(program)-\(geteuid())/control.sock"
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
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", Errno(rawValue: errno)) }
        var address = Self.address(path)
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previousMask)
        var status = stat()
        guard bound == 0, lstat(path, &status) == 0, chmod(path, 0o600) == 0, listen(fd, 128) == 0 else {
            let error = Errno(rawValue: errno)
            close(fd)
            throw .system("bind/listen \(path)", error)
        }
        descriptor = FileDescriptor(rawValue: fd)
        identity = (status.st_dev, status.st_ino)
    }

    /// Closes the socket and removes its file (at exit) — only if the file at the path is
    /// still this socket, not one another master created there since.
    func remove() {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK,
           status.st_dev == identity.device, status.st_ino == identity.inode {
            unlink(path)
        }
        Syscall.close(descriptor)
    }

    /// Creates `directory` (0700) if it is missing, then checks it can be trusted.
    private static func prepareDirectory(_ directory: String) throws(ControlSocketError) {
        var verdict = ControlSocketDirectory.check(directory)
        if verdict == .missing {
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw .system("mkdir \(directory)", Errno(rawValue: errno))
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
        var status = stat()
        guard lstat(path, &status) == 0 else {
            guard errno == ENOENT else { throw .system("lstat \(path)", Errno(rawValue: errno)) }
            return
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
        guard try nobodyListens(at: path) else { throw .alreadyServed(path) }
        guard unlink(path) == 0 || errno == ENOENT else { throw .system("unlink \(path)", Errno(rawValue: errno)) }
    }

    /// Connects to the socket at `path` without waiting: `true` when the connection is
    /// refused (nobody listens), `false` when a process accepts or queues it.
    private static func nobodyListens(at path: String) throws(ControlSocketError) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", Errno(rawValue: errno)) }
        defer { close(fd) }
        var address = address(path)
        var result: Int32
        repeat {
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        } while result != 0 && errno == EINTR
        guard result != 0 else { return false }
        switch errno {
        case ECONNREFUSED: return true
        case EAGAIN, EINPROGRESS: return false // a listener with a full queue is alive
        default: throw .system("connect \(path) (to see whether a daemon serves it)", Errno(rawValue: errno))
        }
    }

    private static func address(_ path: String) -> sockaddr_un {
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
        case .system(let call, let errno):
            return "\(call) failed: \(errno); check the directory exists and is writable by the daemon's user"
        }
    }
}
