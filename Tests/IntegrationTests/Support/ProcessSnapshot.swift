/// A descendant of the driver as `ps` reported it, read from `/proc/PID/stat` and `cmdline`.
struct ProcessSnapshot: Decodable, CustomStringConvertible {
    let pid: Int32
    let ppid: Int32
    let pgid: Int32
    /// The state letter from `/proc/PID/stat`: `R`, `S`, `Z`…
    let state: String
    let comm: String
    /// The command line with NULs shown as spaces and trailing NULs removed.
    let cmdline: String
    let threads: Int

    var description: String {
        "pid=\(pid) ppid=\(ppid) pgid=\(pgid) state=\(state) threads=\(threads) comm=\(comm) cmdline=\(cmdline)"
    }
}
