import CSystemd
import Glibc

/// Sends state changes to the service manager with `sd_notify` (libsystemd).
///
/// Only the master notifies (`NotifyAccess=main`); workers have `NOTIFY_SOCKET`
/// removed from their environment. Without `NOTIFY_SOCKET` every call is a no-op.
struct SystemdNotifier {
    /// Whether a service manager listens (`NOTIFY_SOCKET` was set when the master started).
    let isEnabled = getenv("NOTIFY_SOCKET") != nil

    /// Sends `message` (newline-separated `KEY=VALUE` assignments).
    func notify(_ message: @autoclosure () -> String) {
        guard isEnabled else { return }
        _ = sd_notify(0, message())
    }
}
