import CSystemd
import Glibc

/// libsystemd (`libsystemd.so.0`), loaded only when systemd asks for something the master
/// reads with it: a watchdog (`WATCHDOG_USEC`) or passed sockets (`LISTEN_FDS`).
///
/// A daemon started any other way never maps it, nor the libraries it depends on (libcap,
/// libgcrypt, libgpg-error, liblzma, libzstd, liblz4): seven libraries fewer in the master,
/// whose loading and relocation cost pages of its own, and 35 mappings fewer for each fork
/// to copy. Notifications do not need it: the master sends them itself (``SystemdNotifier``).
struct SystemdLibrary {
    /// The file name the library is loaded by: its ABI, on every distribution with systemd.
    static let fileName = "libsystemd.so.0"

    /// `sd_watchdog_enabled(3)`.
    let watchdogEnabled: ccotyledon_sd_watchdog_enabled
    /// `sd_listen_fds_with_names(3)`.
    let listenFdsWithNames: ccotyledon_sd_listen_fds_with_names

    /// Loads the library (once: a second `dlopen` returns the same handle) for `variable`,
    /// the environment variable systemd set that needs it. `file` is ``fileName`` but in tests.
    ///
    /// - Throws: ``CotyledonError/systemdLibraryUnavailable(variable:reason:)`` when the
    ///   library or one of its functions cannot be found.
    static func load(for variable: String, file: String = fileName) throws(CotyledonError) -> SystemdLibrary {
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            throw .systemdLibraryUnavailable(variable: variable, reason: lastError())
        }
        func function<F>(_ name: String, as type: F.Type) throws(CotyledonError) -> F {
            guard let address = dlsym(handle, name) else {
                throw .systemdLibraryUnavailable(variable: variable, reason: lastError())
            }
            return unsafeBitCast(address, to: type)
        }
        return SystemdLibrary(
            watchdogEnabled: try function("sd_watchdog_enabled", as: ccotyledon_sd_watchdog_enabled.self),
            listenFdsWithNames: try function("sd_listen_fds_with_names", as: ccotyledon_sd_listen_fds_with_names.self))
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "dlopen failed without saying why"
    }
}
