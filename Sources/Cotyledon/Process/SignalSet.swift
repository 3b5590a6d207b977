import Glibc
import SystemPackage

/// A set of signals as the kernel sees it (`sigset_t`).
struct SignalSet {
    private(set) var raw: sigset_t

    /// A set holding `signals`.
    init(_ signals: [Signal]) {
        raw = sigset_t()
        sigemptyset(&raw)
        for signal in signals {
            sigaddset(&raw, signal.rawValue)
        }
    }

    /// Whether `signal` is in the set.
    func contains(_ signal: Signal) -> Bool {
        withUnsafePointer(to: raw) { sigismember($0, signal.rawValue) == 1 }
    }

    /// Blocks the set in the calling thread (inherited across `fork`).
    func block() throws(Errno) {
        try change(SIG_BLOCK)
    }

    /// Unblocks the set in the calling thread.
    func unblock() throws(Errno) {
        try change(SIG_UNBLOCK)
    }

    /// The signals of this set that are pending for the calling thread or process.
    static func pending() -> SignalSet {
        var set = SignalSet([])
        sigpending(&set.raw)
        return set
    }

    private func change(_ how: Int32) throws(Errno) {
        var set = raw
        let result = pthread_sigmask(how, &set, nil)
        if result != 0 { throw Errno(rawValue: result) }
    }
}
