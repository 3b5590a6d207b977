import Glibc
import SystemPackage

/// Reads small text files from `/proc` without Foundation (which the master avoids:
/// it stays single-threaded and small).
enum ProcFile {
    /// The file's contents as UTF-8, or `nil` when it cannot be read.
    static func read(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The file's contents, or `nil` when it cannot be read.
    static func bytes(_ path: String) -> [UInt8]? {
        guard let fd = try? FileDescriptor(rawValue: Syscall.open(path, O_RDONLY | O_CLOEXEC)) else { return nil }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while let count = try? Syscall.read(fd, into: &chunk), count > 0 {
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// The pids of a list such as `/proc/PID/task/TID/children` (`12 345 `), read without
    /// making a string: the master reads its children's at every batch of exits. A number
    /// too large for a pid is left out.
    static func pids(in bytes: [UInt8]) -> [pid_t] {
        var pids: [pid_t] = []
        var current: Int64 = -1
        for byte in bytes + [UInt8(ascii: " ")] {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                current = min(max(current, 0) * 10 + Int64(byte - UInt8(ascii: "0")), Int64(pid_t.max) + 1)
            } else {
                if current >= 0, let pid = pid_t(exactly: current) { pids.append(pid) }
                current = -1
            }
        }
        return pids
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
