import CCotyledonLinux
import Glibc
import SystemPackage

/// The master's listening unix socket for control clients (`cotyledonctl`): created
/// under a restrictive umask and chmod 0600, a stale socket of a crashed master replaced,
/// a live one refused.
struct ControlSocket {
    /// The listening descriptor (non-blocking, close-on-exec).
    let descriptor: FileDescriptor
    /// Its path.
    let path: String

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
    init(path: String) throws(ControlSocketError) {
        self.path = path
        guard path.utf8.count < 108 else { throw .pathTooLong(path) }
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty, access(directory, F_OK) != 0, mkdir(directory, 0o700) != 0 {
            throw .system("mkdir \(directory)", Errno(rawValue: errno))
        }
        if access(path, F_OK) == 0 {
            guard !Self.isServed(path) else { throw .alreadyServed(path) }
            unlink(path) // stale: left by a master that died
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", Errno(rawValue: errno)) }
        var address = Self.address(path)
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previousMask)
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 128) == 0 else {
            let error = Errno(rawValue: errno)
            close(fd)
            throw .system("bind/listen \(path)", error)
        }
        descriptor = FileDescriptor(rawValue: fd)
    }

    /// Removes the socket file (at exit).
    func remove() {
        unlink(path)
        Syscall.close(descriptor)
    }

    /// Whether a live process accepts connections at `path`.
    private static func isServed(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = address(path)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
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
    /// A system call failed.
    case system(String, Errno)

    /// The message, naming the fix.
    public var description: String {
        switch self {
        case .pathTooLong(let path):
            return "control socket path \(path) is longer than 107 bytes; choose a shorter path"
        case .alreadyServed(let path):
            return "another daemon already serves the control socket \(path); stop it or choose another path"
        case .system(let call, let errno):
            return "\(call) failed: \(errno); check the directory exists and is writable by the daemon's user"
        }
    }
}
