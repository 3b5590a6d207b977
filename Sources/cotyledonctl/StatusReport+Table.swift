import Foundation

extension StatusReport {
    /// The report for people: the master, then per service one line of counts followed by one
    /// line per worker.
    ///
    /// ```
    /// master 4242 running
    /// printer: 4 configured, 4 running, 4 ready, 1 restart
    ///   ID  PID   STATE  UPTIME  RESTARTS  LAST EXIT
    ///   0   4250  ready  2m05s   0         -
    ///   1   4311  ready  12.5s   1         killed:SIGKILL
    /// ```
    var table: String {
        var lines = ["master \(pid) \(phase)"]
        for service in services {
            let restartWord = service.restarts == 1 ? "restart" : "restarts"
            lines.append("\(service.name): \(service.configured) configured, \(service.running) running, "
                         + "\(service.ready) ready, \(service.restarts) \(restartWord)")
            var rows = [["ID", "PID", "STATE", "UPTIME", "RESTARTS", "LAST EXIT"]]
            for worker in service.workers.sorted(by: { $0.id < $1.id }) {
                rows.append(["\(worker.id)", "\(worker.pid)", worker.state, Self.format(uptime: worker.uptime),
                             "\(worker.restarts)", worker.lastExit ?? "-"])
            }
            lines += Self.align(rows).map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// `rows` as columns padded to their widest cell, separated by two spaces.
    private static func align(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }
    }

    /// `12.5s`, `3m07s`, `2h05m`, `4d03h`.
    static func format(uptime: Double) -> String {
        guard uptime.isFinite, uptime >= 0 else { return "?" }
        if uptime < 60 { return String(format: "%.1fs", uptime) }
        let seconds = Int(uptime)
        if seconds < 3600 { return String(format: "%dm%02ds", seconds / 60, seconds % 60) }
        if seconds < 86_400 { return String(format: "%dh%02dm", seconds / 3600, seconds % 3600 / 60) }
        return String(format: "%dd%02dh", seconds / 86_400, seconds % 86_400 / 3600)
    }
}
