import Foundation

/// Everything the driver has reported so far; owned by ``Driver`` and read under its lock.
struct DriverState {
    /// Whether the `hello` message arrived.
    var ready = false
    /// The driver's pid, from its `hello`.
    var driverPid: Int32 = 0
    /// Set when the driver could not be started.
    var launchError: DriverError?
    /// Set when the driver's stdout reached end-of-file and the driver was reaped.
    var finished = false
    /// Replies not yet claimed, by sequence number.
    var replies: [Int: DriverMessage] = [:]
    /// Output lines of each spawned process, by its pid.
    var output: [Int32: [OutputLine]] = [:]
    /// Every process the driver reaped, by pid: status and CLOCK_MONOTONIC time.
    var exits: [Int32: (status: ExitStatus, time: Double)] = [:]
    /// Triggers that fired, by the pid they signalled.
    var triggered: [Int32: DriverMessage] = [:]
    /// Pids in the order the driver reaped them.
    var reapOrder: [Int32] = []
    /// A readable record of every message, for failure reports.
    var journal: [String] = []

    /// The last `count` journal entries, one per line.
    func journalTail(_ count: Int = 60) -> String {
        journal.suffix(count).joined(separator: "\n")
    }

    /// The last `count` output lines of `pid` plus its exit, one per line.
    func outputTail(of pid: Int32, _ count: Int = 60) -> String {
        var lines = (output[pid] ?? []).suffix(count).map(\.description)
        if let exit = exits[pid] { lines.append("(driver) \(pid) \(exit.status)") }
        return lines.joined(separator: "\n")
    }

    /// `12345.678901`: CLOCK_MONOTONIC seconds as the journal shows them.
    static func time(_ seconds: Double) -> String {
        String(format: "%.6f", seconds)
    }

    /// Records one message from the driver.
    mutating func record(_ message: DriverMessage) {
        switch message.type {
        case "hello":
            ready = true
            driverPid = message.pid ?? 0
            journal.append("\(Self.time(message.t)) driver hello pid=\(message.pid ?? 0)")
        case "reply":
            if let seq = message.seq { replies[seq] = message }
            if message.ok != true {
                journal.append("\(Self.time(message.t)) driver reply seq=\(message.seq ?? -1) error=\(message.error ?? "?")")
            }
        case "line":
            guard let pid = message.pid, let text = message.text else { return }
            // Appended in place: copying the array out and back would copy every earlier line
            // (quadratic over the thousands of lines of a crash loop).
            let index = output[pid]?.count ?? 0
            var log = LogLine(text)
            log?.index = index
            log?.time = message.t
            output[pid, default: []].append(OutputLine(index: index, stream: message.stream ?? "?", text: text,
                                                       time: message.t, log: log))
            journal.append("\(Self.time(message.t)) \(pid) [\(message.stream ?? "?")] \(text)")
        case "exit":
            guard let pid = message.pid, let status = message.status.flatMap(ExitStatus.init) else { return }
            exits[pid] = (status, message.t)
            reapOrder.append(pid)
            journal.append("\(Self.time(message.t)) driver reaped \(pid) \(status)")
        case "triggered":
            guard let pid = message.pid else { return }
            triggered[pid] = message
            journal.append("\(Self.time(message.t)) driver sent \(message.signal ?? "?") to \(pid) on trigger"
                           + (message.ok == true ? "" : ": \(message.error ?? "failed")"))
        case "closed":
            journal.append("\(Self.time(message.t)) \(message.pid ?? 0) [\(message.stream ?? "?")] closed")
        default:
            journal.append("\(Self.time(message.t)) driver \(message.type)")
        }
    }
}
