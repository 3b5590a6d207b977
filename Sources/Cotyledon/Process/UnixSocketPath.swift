import Glibc
import SystemPackage

/// What a path holds where the master is about to bind a unix socket (its control socket, a
/// unix listener): found without waiting, by `lstat` and, for a socket, a non-blocking
/// `connect`.
enum UnixSocketPath: Equatable {
    /// Nothing is there.
    case absent
    /// A socket nobody listens on: its daemon is gone, the file may be replaced.
    case stale
    /// A socket a process accepts or queues connections on (a full queue counts as alive).
    case live
    /// A file that is not a socket.
    case notASocket(FileKind)

    /// A system call that failed while looking.
    struct ProbeFailure: Error {
        /// The call, with the path (`lstat /run/x.sock`).
        let call: String
        /// Its error.
        let cause: Errno
    }

    /// Looks at `path` (at most 107 bytes, checked by the caller).
    ///
    /// - Throws: ``ProbeFailure`` when `lstat`, `socket` or `connect` fails otherwise than
    ///   by saying what is there.
    static func probe(_ path: String) throws(ProbeFailure) -> UnixSocketPath {
        let status: stat
        do {
            status = try Syscall.linkStatus(path)
        } catch .noSuchFileOrDirectory {
            return .absent
        } catch {
            throw ProbeFailure(call: "lstat \(path)", cause: error)
        }
        let kind = FileKind(mode: status.st_mode)
        guard kind == .socket else { return .notASocket(kind) }
        let probe: FileDescriptor
        do {
            probe = try Syscall.unixStreamSocket()
        } catch {
            throw ProbeFailure(call: "socket", cause: error)
        }
        defer { Syscall.close(probe) }
        do {
            try Syscall.connect(probe, to: ControlSocket.address(path))
            return .live
        } catch .connectionRefused {
            return .stale
        } catch .wouldBlock, .nowInProgress {
            return .live
        } catch {
            throw ProbeFailure(call: "connect \(path) (to see whether a process listens on it)", cause: error)
        }
    }
}
