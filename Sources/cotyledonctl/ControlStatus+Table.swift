import CotyledonControlProtocol

extension ControlStatus {
    /// The report for people: the master, then per service one line of counts followed by one
    /// line per worker. The daemon's texts (phase, names, states, exits) are escaped, so none
    /// of them can break a row or add one.
    ///
    /// ```
    /// master 4242 running, build 1.4.0 (build 3f2a9c1b7d4e)
    /// printer: 4 configured, 4 running, 4 ready, 1 restart
    ///   ID  PID   STATE  UPTIME  RESTARTS  LAST EXIT       BUILD
    ///   0   4250  ready  2m05s   0         -               1.4.0 (build 3f2a9c1b7d4e)
    ///   1   4311  ready  12.5s   1         killed:SIGKILL  1.4.0 (build 3f2a9c1b7d4e)
    /// ```
    ///
    /// The build column appears when the daemon reports builds.
    var table: String {
        var lines = ["master \(pid) \(EscapedText.controls(in: phase))" + (build.map { ", build \(EscapedText.controls(in: $0))" } ?? "")]
        let showsBuilds = services.contains { $0.workers.contains { $0.build != nil } }
        for service in services {
            let restartWord = service.restarts == 1 ? "restart" : "restarts"
            lines.append("\(EscapedText.controls(in: service.name)): \(service.configured) configured, \(service.running) running, "
                         + "\(service.ready) ready, \(service.restarts) \(restartWord)")
            var rows = [["ID", "PID", "STATE", "UPTIME", "RESTARTS", "LAST EXIT"] + (showsBuilds ? ["BUILD"] : [])]
            for worker in service.workers.sorted(by: { $0.id < $1.id }) {
                rows.append(["\(worker.id)", "\(worker.pid)", EscapedText.controls(in: worker.state), Self.format(uptime: worker.uptime),
                             "\(worker.restarts)", worker.lastExit.map { EscapedText.controls(in: $0) } ?? "-"]
                            + (showsBuilds ? [worker.build.map { EscapedText.controls(in: $0) } ?? "-"] : []))
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
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] + 2 - cell.count)
            }.joined()
        }
    }

    /// `12.5s`, `3m07s`, `2h05m`, `4d03h`.
    static func format(uptime: Double) -> String {
        guard uptime.isFinite, uptime >= 0 else { return "?" }
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if uptime < 60 {
            let tenths = Int((uptime * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = Int(uptime)
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3600)h\(twoDigits(seconds % 3600 / 60))m" }
        return "\(seconds / 86_400)d\(twoDigits(seconds % 86_400 / 3600))h"
    }
}
