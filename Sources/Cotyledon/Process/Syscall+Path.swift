import Glibc
import SystemPackage

extension Syscall {
    /// `mkdir(path, mode)`.
    static func makeDirectory(_ path: String, mode: mode_t) throws(Errno) {
        try retrying { mkdir(path, mode) }
    }

    /// `lstat(path)`: the status of the file at `path`, not of what a symbolic link points to.
    static func linkStatus(_ path: String) throws(Errno) -> stat {
        var status = stat()
        try retrying { lstat(path, &status) }
        return status
    }

    /// `chmod(path, mode)`.
    static func changeMode(_ path: String, to mode: mode_t) throws(Errno) {
        try retrying { chmod(path, mode) }
    }

    /// `readlink(path)`: what the symbolic link at `path` points to, cut at `maximumLength` bytes.
    static func linkTarget(_ path: String, maximumLength: Int) throws(Errno) -> String {
        var target = [CChar](repeating: 0, count: maximumLength + 1)
        let length = try retrying { readlink(path, &target, maximumLength) }
        return String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `unlink(path)`.
    static func removeFile(_ path: String) throws(Errno) {
        try retrying { unlink(path) }
    }

    /// Whether the file at `path` is executable by this process (`access(path, X_OK)`).
    static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }

    /// `getcwd`: the working directory, `nil` when it cannot be named.
    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return getcwd(&buffer, buffer.count).map { String(cString: $0) }
    }
}
