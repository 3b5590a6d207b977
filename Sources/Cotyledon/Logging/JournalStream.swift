import Glibc

/// Recognises a descriptor connected to the systemd journal (`JOURNAL_STREAM=DEV:INODE`,
/// set by systemd for `StandardError=journal`), as `sd_journal_stream_fd(3)` describes.
enum JournalStream {
    /// Whether `descriptor` is the stream systemd announced in `JOURNAL_STREAM`.
    static func isConnected(to descriptor: Int32) -> Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        guard let status = try? Syscall.status(of: descriptor) else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
