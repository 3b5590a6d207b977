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
        let temporary = temporaryPath(beside: path)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
        } catch {
            throw DriverError("cannot copy \(source) to \(temporary): \(error)")
        }
        try renameExecutable(temporary, over: path)
    }

    /// Writes a shell script `#!/bin/sh` + `body` to `path` (mode 0755), replacing whatever is
    /// there in one rename.
    /// - Throws: ``DriverError`` naming the step that failed.
    static func install(script body: String, at path: String) throws {
        let temporary = temporaryPath(beside: path)
        do {
            try ("#!/bin/sh\n" + body + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
        } catch {
            throw DriverError("cannot write \(temporary): \(error)")
        }
        try renameExecutable(temporary, over: path)
    }

    /// Makes `path` a symbolic link to `target`.
    /// - Throws: ``DriverError`` when it cannot be made.
    static func link(_ path: String, to target: String) throws {
        guard symlink(target, path) == 0 else {
            throw DriverError("cannot link \(path) to \(target): \(String(cString: strerror(errno)))")
        }
    }

    private static func temporaryPath(beside path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).new-\(getpid())").path
    }

    private static func renameExecutable(_ temporary: String, over path: String) throws {
        guard chmod(temporary, 0o755) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw DriverError("cannot chmod \(temporary): \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let error = String(cString: strerror(errno))
            unlink(temporary)
            throw DriverError("cannot rename \(temporary) over \(path): \(error)")
        }
    }
}
