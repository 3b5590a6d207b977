import Glibc
import SystemPackage

/// Reads small text files from `/proc` without Foundation (which the master avoids:
/// it stays single-threaded and small).
enum ProcFile {
    /// The file's contents as UTF-8, or `nil` when it cannot be read.
    static func read(_ path: String) -> String? {
        guard let fd = try? FileDescriptor(rawValue: Syscall.open(path, O_RDONLY | O_CLOEXEC)) else { return nil }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while let count = try? Syscall.read(fd, into: &chunk), count > 0 {
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `/proc` shows the caller's own pid namespace. It does not when a process
    /// runs in a new pid namespace without a `/proc` mounted for it (`unshare --pid`
    /// without `--mount-proc`): the pids `/proc` lists are then another namespace's, and
    /// signalling them would reach the wrong processes, or none.
    static var showsOwnPidNamespace: Bool {
        guard let target = try? Syscall.linkTarget("/proc/self", maximumLength: 31), !target.isEmpty else { return false }
        return target == String(getpid())
    }
}
