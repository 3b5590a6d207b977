import SystemPackage

/// A listener the master cannot open: which one, where, what failed and what to do.
struct ListenerError: Error, Equatable, CustomStringConvertible {
    /// The listener's name.
    let name: String
    /// Its configured address.
    let address: ListenerConfiguration.Address
    /// What failed, e.g. `bind: Address already in use`.
    let problem: String
    /// What to do about it.
    let fix: String
    /// The error of the system call that failed, if one did.
    var cause: Errno? = nil

    /// `listener "http" (127.0.0.1:80): bind: Permission denied — fix`.
    var description: String {
        "listener \"\(name)\" (\(address)): \(problem) — \(fix)"
    }

    /// The error for `call` failing with `failure` while opening `name` at `address`, with
    /// the fix for the usual causes.
    static func systemCall(_ call: String, _ failure: Errno, name: String, address: ListenerConfiguration.Address) -> ListenerError {
        ListenerError(name: name, address: address, problem: "\(call): \(failure)", fix: fix(for: failure, address: address), cause: failure)
    }

    private static func fix(for failure: Errno, address: ListenerConfiguration.Address) -> String {
        switch (failure, address) {
        case (.addressInUse, .tcp):
            return "another process listens on this port: stop it or choose another port"
        case (.permissionDenied, .tcp):
            return "ports below 1024 need root or CAP_NET_BIND_SERVICE (AmbientCapabilities= in the unit): grant it or choose a port of 1024 or more"
        case (.addressNotAvailable, .tcp):
            return "the host is not an address of this machine: use 0.0.0.0, [::], 127.0.0.1 or one of its addresses"
        case (.permissionDenied, .unix(let path)):
            return "the daemon's user cannot create files in \(directory(of: path)): change the directory's owner or choose another path (RuntimeDirectory= under systemd)"
        case (.noSuchFileOrDirectory, .unix(let path)):
            return "the directory \(directory(of: path)) does not exist: create it (RuntimeDirectory= under systemd) or choose another path"
        case (.noSuchFileOrDirectory, .tcp), (.notDirectory, _):
            return "choose another address"
        default:
            return "correct the listener's address or free it, then start again"
        }
    }

    /// The directory part of an absolute `path` (`/` for a file at the root).
    static func directory(of path: String) -> String {
        let parent = path[..<(path.lastIndex(of: "/") ?? path.startIndex)]
        return parent.isEmpty ? "/" : String(parent)
    }
}
