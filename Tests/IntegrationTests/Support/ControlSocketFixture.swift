import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private directory for a daemon's control socket, removed at the end of the test.
///
/// The directory has mode 0711, so that another uid can reach the socket in it (and be refused
/// by the socket's own mode, 0600) but not list it.
final class ControlSocketFixture {
    /// The directory.
    let directory: String
    /// `<directory>/control.sock`, for `--control-socket` and `cotyledonctl --socket`.
    let path: String

    init() throws {
        directory = "/tmp/cotyledon-ctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(directory, 0o711) == 0, chmod(directory, 0o711) == 0 else {
            throw DriverError("mkdir \(directory): \(String(cString: strerror(errno)))")
        }
        path = directory + "/control.sock"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The daemon's arguments for this socket.
    var daemonArguments: [String] {
        ["--control-socket", path]
    }
}
