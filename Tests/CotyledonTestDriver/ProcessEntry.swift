import CotyledonControlProtocol
import Glibc

/// One process as read from `/proc/PID/stat` and `/proc/PID/cmdline`.
struct ProcessEntry {
    let pid: pid_t
    let ppid: pid_t
    let pgid: pid_t
    /// The state letter: `R`, `S`, `D`, `Z`, `T`…
    let state: Character
    /// The 15-byte `comm` name.
    let comm: String
    /// `/proc/PID/cmdline` with trailing NULs removed and the remaining NULs shown as spaces.
    let cmdline: String
    let threads: Int
    /// Start time in clock ticks after boot; with the pid it identifies the process.
    let startTime: UInt64

    /// Reads the entry for `pid`, or `nil` if it no longer exists.
    init?(pid: pid_t) {
        guard let stat = FileReader.bytes("/proc/\(pid)/stat"),
              let open = stat.firstIndex(of: UInt8(ascii: "(")),
              let close = stat.lastIndex(of: UInt8(ascii: ")")),
              close + 2 < stat.count
        else { return nil }
        let fields = stat[(close + 2)...].split(separator: UInt8(ascii: " ")).map {
            String(decoding: $0, as: UTF8.self)
        }
        // fields[0] is field 3 of proc(5).
        guard fields.count > 19, let state = fields[0].first,
              let ppid = pid_t(fields[1]), let pgid = pid_t(fields[2]),
              let threads = Int(fields[17]), let startTime = UInt64(fields[19])
        else { return nil }
        self.pid = pid
        self.ppid = ppid
        self.pgid = pgid
        self.state = state
        self.comm = String(decoding: stat[(open + 1)..<close], as: UTF8.self)
        var cmdline = FileReader.bytes("/proc/\(pid)/cmdline") ?? []
        while cmdline.last == 0 { cmdline.removeLast() }
        self.cmdline = String(decoding: cmdline.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        self.threads = threads
        self.startTime = startTime
    }

    /// The entry as a protocol object.
    var json: JSONValue {
        .object([
            "pid": .integer(pid),
            "ppid": .integer(ppid),
            "pgid": .integer(pgid),
            "state": .string(String(state)),
            "comm": .string(comm),
            "cmdline": .string(cmdline),
            "threads": .integer(threads),
        ])
    }
}
