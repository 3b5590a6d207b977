import Glibc
import Synchronization

/// Keeps the master from blocking on a full log stream (a stuck pipe reader would
/// otherwise stop supervision): in the master, a line waits at most ``slowReaderGrace``
/// for room; if there is none, it and the following lines are dropped (without waiting)
/// until the stream accepts data again, and the next line written reports how many were
/// lost. Workers write normally (a blocked worker blocks only itself).
enum MasterLogGuard {
    /// How long the master waits for a slow log reader before it starts dropping lines.
    static let slowReaderGraceMilliseconds: Int32 = 50

    private static let inMaster = Atomic<Bool>(false)
    private static let dropped = Atomic<Int>(0)

    /// Marks the calling process as the master (or, after fork, as a worker).
    static func setInMaster(_ value: Bool) {
        inMaster.store(value, ordering: .relaxed)
        dropped.store(0, ordering: .relaxed)
    }

    /// Whether a line may be written to `descriptor` now; counts the line as dropped if not.
    static func admit(_ descriptor: Int32) -> Bool {
        guard inMaster.load(ordering: .relaxed) else { return true }
        var poller = [pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)]
        let wait = dropped.load(ordering: .relaxed) > 0 ? 0 : slowReaderGraceMilliseconds
        if (try? Syscall.poll(&poller, timeout: wait)) == 1, poller[0].revents & Int16(POLLOUT) != 0 {
            return true
        }
        dropped.add(1, ordering: .relaxed)
        return false
    }

    /// Lines dropped since the last call, reset to zero.
    static func takeDroppedCount() -> Int {
        guard inMaster.load(ordering: .relaxed) else { return 0 }
        return dropped.exchange(0, ordering: .relaxed)
    }
}
