import CotyledonControlProtocol
import Glibc

/// Writes protocol messages to stdout, one JSON object per line, each with one `write` loop.
///
/// A vanished reader (`EPIPE`; SIGPIPE is ignored) is remembered rather than fatal, so the
/// driver can still clean up.
struct EventWriter {
    /// Whether a write failed because the test process is gone.
    private(set) var readerGone = false

    /// Writes `members` as one line, adding `"t"` (CLOCK_MONOTONIC seconds) if absent.
    mutating func emit(_ members: [(String, JSONValue)]) {
        var members = members
        if !members.contains(where: { $0.0 == "t" }) {
            members.append(("t", .number(MonotonicClock.now())))
        }
        guard !readerGone else { return }
        var bytes = Array((JSONValue.object(Dictionary(members) { _, last in last }).text + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
            if count > 0 {
                offset += count
            } else if count < 0, errno == EINTR {
                continue
            } else {
                readerGone = true
                return
            }
        }
    }
}
