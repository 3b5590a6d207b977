import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Puts executables in place as a deploy does before an in-place upgrade: a new file is
/// written beside the old one under a temporary name, then renamed over it, so that the path
/// always names a complete executable and a running process keeps its own (now unlinked) file.
enum Deployment {
    /// Copies the executable `source` to `path` (mode 0755), replacing whatever is there in one
    /// rename.
    /// - Throws: ``DriverError`` naming the step that failed.
    static func install(copyOf source: String, at path: String) throws {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        } catch {
            throw DriverError("cannot read \(source): \(error)")
        }
        try install(bytes, at: path)
    }

    /// Writes a shell script `#!/bin/sh` + `body` to `path` (mode 0755), replacing whatever is
    /// there in one rename.
    /// - Throws: ``DriverError`` naming the step that failed.
    static func install(script body: String, at path: String) throws {
        try install(Data(("#!/bin/sh\n" + body + "\n").utf8), at: path)
    }

    /// Writes `bytes` to a new file beside `path` and renames it over `path`. The file is
    /// written through a close-on-exec descriptor: a process the test runner starts meanwhile
    /// must not keep it open for writing, which would make every execve of it fail (ETXTBSY).
    private static func install(_ bytes: Data, at path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).new-\(getpid())").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw DriverError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    failure = errno
                    return
                }
                written += count
            }
        }
        close(fd)
        guard failure == 0 else {
            unlink(temporary)
            throw DriverError("cannot write \(temporary): \(String(cString: strerror(failure)))")
        }
        // The mode given to open is masked by the umask.
        guard chmod(temporary, 0o755) == 0, rename(temporary, path) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw DriverError("cannot put \(temporary) in place of \(path): \(error)")
        }
    }

    /// Makes `path` a symbolic link to `target`.
    /// - Throws: ``DriverError`` when it cannot be made.
    static func link(_ path: String, to target: String) throws {
        guard symlink(target, path) == 0 else {
            throw DriverError("cannot link \(path) to \(target): \(String(cString: strerror(errno)))")
        }
    }
}
