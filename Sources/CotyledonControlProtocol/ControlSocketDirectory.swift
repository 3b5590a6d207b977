import Glibc

/// Whether the directory of a control socket can be trusted — by the daemon before it creates
/// its socket there, and by `cotyledonctl` before it connects: whoever may write to the
/// directory may put a socket of their own in the daemon's place.
///
/// A directory is trusted when it is a directory (or a symbolic link owned by a trusted user
/// to one), its owner is trusted, and no one else may write to it: neither its group nor
/// others, unless its sticky bit is set (as on `/tmp`), which keeps them from removing or
/// renaming what they do not own. Trusted owners are root and the checking process's
/// effective user; a client running as root may also trust every owner, since root addresses
/// the daemon of whichever user it names.
public enum ControlSocketDirectory {
    /// The two facts of a file the judgement needs, from `lstat` or `stat`.
    public struct FileFacts: Equatable, Sendable {
        /// `st_mode`: type and permission bits.
        public let mode: UInt32
        /// `st_uid`.
        public let owner: UInt32

        /// Facts given directly (for tests).
        public init(mode: UInt32, owner: UInt32) {
            self.mode = mode
            self.owner = owner
        }

        /// The facts `lstat` (or `stat`) reported.
        public init(_ status: stat) {
            self.init(mode: status.st_mode, owner: status.st_uid)
        }

        /// Whether the file is of type `type` (`S_IFDIR`, `S_IFLNK`, `S_IFSOCK`…).
        public func isOfType(_ type: UInt32) -> Bool {
            mode & UInt32(S_IFMT) == type
        }
    }

    /// The outcome of a check.
    public enum Verdict: Equatable, Sendable {
        /// Only trusted users can write to the directory.
        case trusted
        /// A shared directory with the sticky bit (such as `/tmp`): others can create files
        /// there but not replace those of trusted users, so a socket found there must itself be
        /// owned by a trusted user.
        case shared
        /// There is nothing at the path.
        case missing
        /// Not to be used; the reason completes the sentence "the directory …".
        case untrusted(String)
    }

    /// The directory holding `path`: `.` for a bare name, `/` for a file at the root.
    public static func containing(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The verdict on `directory` from its `lstat` facts (`entry`) and, for a symbolic link,
    /// the `stat` facts of its target (`nil`: dangling).
    /// - Parameters:
    ///   - euid: the checking process's effective user.
    ///   - trustsEveryOwner: whether a directory of any owner may be trusted (a client run as root).
    public static func judge(
        _ directory: String, entry: FileFacts, target: FileFacts?, euid: UInt32, trustsEveryOwner: Bool = false
    ) -> Verdict {
        let trusts = { (owner: UInt32) in trustsEveryOwner || owner == 0 || owner == euid }
        var facts = entry
        if entry.isOfType(UInt32(S_IFLNK)) {
            guard trusts(entry.owner) else {
                return .untrusted("\(directory) is a symbolic link owned by uid \(entry.owner), not by uid \(euid) or root")
            }
            guard let target else { return .untrusted("\(directory) is a symbolic link to nothing") }
            facts = target
        }
        guard facts.isOfType(UInt32(S_IFDIR)) else { return .untrusted("\(directory) is not a directory") }
        guard trusts(facts.owner) else {
            return .untrusted("\(directory) is owned by uid \(facts.owner), not by uid \(euid) or root")
        }
        guard facts.mode & 0o022 != 0 else { return .trusted }
        guard facts.mode & UInt32(S_ISVTX) != 0 else {
            let mode = String(facts.mode & 0o7777, radix: 8)
            return .untrusted("\(directory) is writable by users other than its owner (mode 0\(mode))")
        }
        return .shared
    }

    /// Examines `directory` on disk (`lstat`, then `stat` for a symbolic link) and judges it.
    public static func check(_ directory: String, euid: UInt32 = geteuid(), trustsEveryOwner: Bool = false) -> Verdict {
        var status = stat()
        guard lstat(directory, &status) == 0 else {
            let error = errno
            return error == ENOENT ? .missing : .untrusted("\(directory) cannot be examined: \(String(cString: strerror(error)))")
        }
        let entry = FileFacts(status)
        var target: FileFacts?
        if entry.isOfType(UInt32(S_IFLNK)), stat(directory, &status) == 0 {
            target = FileFacts(status)
        }
        return judge(directory, entry: entry, target: target, euid: euid, trustsEveryOwner: trustsEveryOwner)
    }

    /// Checks the directory of the socket at `path` as a client does; in a shared directory the
    /// socket, if there, must be owned by a trusted user.
    /// - Returns: why the socket must not be used, or `nil`.
    public static func clientProblem(socket path: String, euid: UInt32 = geteuid()) -> String? {
        let trustsEveryOwner = euid == 0
        switch check(containing(path), euid: euid, trustsEveryOwner: trustsEveryOwner) {
        case .trusted, .missing:
            return nil
        case .untrusted(let reason):
            return "the directory \(reason)"
        case .shared:
            var status = stat()
            guard lstat(path, &status) == 0 else { return nil }
            let owner = status.st_uid
            guard trustsEveryOwner || owner == 0 || owner == euid else {
                return "\(path) is owned by uid \(owner), not by uid \(euid) or root, in a directory anyone can write to"
            }
            return nil
        }
    }
}
