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

    /// `unlink(path)`.
    static func removeFile(_ path: String) throws(Errno) {
        try retrying { unlink(path) }
    }
}
