import Glibc

/// The read end of a pipe connected to a spawned process's stdout or stderr.
///
/// Workers inherit the master's stdout and stderr, so a pipe reaches end-of-file only when
/// every process holding its write end is gone.
final class OutputPipe {
    /// The pid the pipe was created for (the spawned process, not necessarily the writer).
    let pid: pid_t
    /// `stdout` or `stderr`.
    let stream: String
    /// The read end; -1 once closed.
    private(set) var fd: Int32
    private var pending: [UInt8] = []

    init(pid: pid_t, stream: String, fd: Int32) {
        self.pid = pid
        self.stream = stream
        self.fd = fd
    }

    /// Whether end-of-file was seen and the descriptor closed.
    var isClosed: Bool { fd < 0 }

    /// Reads everything available without blocking.
    ///
    /// - Returns: the complete lines read (without newline), plus the unterminated rest at
    ///   end-of-file, and whether end-of-file was reached.
    func drain() -> (lines: [String], reachedEnd: Bool) {
        guard fd >= 0 else { return ([], false) }
        var lines: [String] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.append(contentsOf: chunk[0..<count])
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: pending[start..<newline], as: UTF8.self))
                    start = newline + 1
                }
                pending.removeSubrange(..<start)
            } else if count == 0 {
                if !pending.isEmpty {
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll()
                }
                close(fd)
                fd = -1
                return (lines, true)
            } else if errno == EINTR {
                continue
            } else {
                return (lines, false)  // EAGAIN: nothing more for now
            }
        }
    }

    /// Closes the read end without reading further.
    func closeNow() {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
