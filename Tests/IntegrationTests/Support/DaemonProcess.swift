import Foundation

/// A daemon spawned through the ``Driver``: its output, parsed log events and exit.
///
/// Lines are numbered from 0 in the order the driver read them; pass ``cursor`` (or a line's
/// `index + 1`) as `from:` to wait only for what comes later.
struct DaemonProcess {
    let driver: Driver
    /// The pid of the spawned process (the master, for a daemon).
    let pid: Int32
    /// The argument vector it was started with (`argv[0]` is the bare product name).
    let argv: [String]
    /// CLOCK_MONOTONIC seconds when the driver spawned it.
    let spawnTime: Double

    /// Everything it (and its descendants, through the inherited streams) wrote so far.
    var lines: [OutputLine] {
        driver.read { $0.output[pid] ?? [] }
    }

    /// The parsed log lines so far.
    var logLines: [LogLine] {
        lines.compactMap(\.log)
    }

    /// The log lines so far with `event=name`.
    func events(_ name: String) -> [LogLine] {
        logLines.filter { $0.event == name }
    }

    /// The text of one stream so far, lines joined with newlines.
    func text(of stream: String) -> String {
        lines.filter { $0.stream == stream }.map(\.text).joined(separator: "\n")
    }

    /// The number of lines so far: lines read later have an `index` at least this.
    var cursor: Int {
        lines.count
    }

    /// The last lines of output and the exit, for failure messages.
    var tail: String {
        driver.read { $0.outputTail(of: pid) }
    }

    /// Waits for the first line with `index >= from` matching `predicate`.
    func waitForLine(
        _ what: String,
        from: Int = 0,
        timeout: Duration = .seconds(10),
        where predicate: (OutputLine) -> Bool
    ) throws -> OutputLine {
        let pid = pid
        return try driver.wait(for: "\(what) from \(argv.joined(separator: " ")) [\(pid)]", timeout: timeout,
                               tail: { $0.outputTail(of: pid) }) { state in
            (state.output[pid] ?? []).first { $0.index >= from && predicate($0) }
        }
    }

    /// Waits for the first log line with `index >= from` and `event=event` matching `predicate`.
    func waitForEvent(
        _ event: String,
        from: Int = 0,
        timeout: Duration = .seconds(10),
        where predicate: (LogLine) -> Bool = { _ in true }
    ) throws -> LogLine {
        try waitForEvents(event, count: 1, from: from, timeout: timeout, where: predicate)[0]
    }

    /// Waits until `count` log lines with `index >= from` and `event=event` match `predicate`.
    /// - Returns: the first `count` of them.
    func waitForEvents(
        _ event: String,
        count: Int,
        from: Int = 0,
        timeout: Duration = .seconds(10),
        where predicate: (LogLine) -> Bool = { _ in true }
    ) throws -> [LogLine] {
        let pid = pid
        return try driver.wait(
            for: "\(count)× event=\(event) from \(argv.joined(separator: " ")) [\(pid)]", timeout: timeout,
            tail: { $0.outputTail(of: pid) }
        ) { state in
            var found: [LogLine] = []
            for line in state.output[pid] ?? [] where line.index >= from {
                guard let log = line.log, log.event == event, predicate(log) else { continue }
                found.append(log)
                if found.count == count { return found }
            }
            return nil
        }
    }

    /// Waits until the spawn's trigger fired.
    /// - Returns: the CLOCK_MONOTONIC time the driver sent the signal.
    /// - Throws: ``DriverError`` if it timed out or the signal could not be sent.
    func waitForTrigger(timeout: Duration = .seconds(10)) throws -> Double {
        let pid = pid
        let message = try driver.wait(for: "the trigger on \(argv.joined(separator: " ")) [\(pid)]", timeout: timeout,
                                      tail: { $0.outputTail(of: pid) }) { state in state.triggered[pid] }
        guard message.ok == true else {
            throw DriverError("the trigger could not signal \(pid): \(message.error ?? "?")\n\(tail)")
        }
        return message.t
    }

    /// Waits until the driver reaps this process.
    /// - Returns: the exit status and the CLOCK_MONOTONIC time the driver reaped it.
    func waitForExit(timeout: Duration = .seconds(10)) throws -> (status: ExitStatus, time: Double) {
        let pid = pid
        return try driver.wait(for: "\(argv.joined(separator: " ")) [\(pid)] to exit", timeout: timeout,
                               tail: { $0.outputTail(of: pid) }) { state in state.exits[pid] }
    }
}
