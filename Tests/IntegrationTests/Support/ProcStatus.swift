import Foundation

/// Readings of a live process from `/proc/PID/…`, for checks made once things have settled
/// (ARCHITECTURE.md § Testing): memory, descriptors, pending signals, the system call it is blocked in.
enum ProcStatus {
    /// The `key: value` lines of `/proc/PID/status`.
    static func fields(of pid: Int32) throws -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        } catch {
            throw DriverError("cannot read /proc/\(pid)/status: \(error)")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// The file the process runs, from `/proc/PID/exe`: a path, followed by ` (deleted)` once
    /// that file was removed or renamed over.
    static func executable(of pid: Int32) throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        } catch {
            throw DriverError("cannot read /proc/\(pid)/exe: \(error)")
        }
    }

    /// CPU time (user + system, in clock ticks) the process has used, from `/proc/PID/stat`.
    static func cpuTicks(of pid: Int32) throws -> Int {
        let (stat, fields) = try statFields(of: pid)
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw DriverError("no utime/stime in /proc/\(pid)/stat: \(stat)")
        }
        return user + system
    }

    /// When the process started (clock ticks after boot), from `/proc/PID/stat`: with the pid,
    /// it names one process, where the pid alone may name a later one that reused it.
    static func startTime(of pid: Int32) throws -> UInt64 {
        let (stat, fields) = try statFields(of: pid)
        guard fields.count > 19, let start = UInt64(fields[19]) else {
            throw DriverError("no starttime in /proc/\(pid)/stat: \(stat)")
        }
        return start
    }

    /// `/proc/PID/stat` and its fields after the command name (which may contain spaces and
    /// parentheses): the state is `fields[0]`, field N of proc(5) is `fields[N - 3]`.
    private static func statFields(of pid: Int32) throws -> (stat: String, fields: [Substring]) {
        let stat: String
        do {
            stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        } catch {
            throw DriverError("cannot read /proc/\(pid)/stat: \(error)")
        }
        guard let close = stat.lastIndex(of: ")") else { throw DriverError("unreadable /proc/\(pid)/stat: \(stat)") }
        return (stat, stat[stat.index(after: close)...].split(separator: " "))
    }

    /// Resident set size in KiB (`VmRSS`).
    static func residentKiB(of pid: Int32) throws -> Int {
        let fields = try fields(of: pid)
        guard let value = fields["VmRSS"]?.split(separator: " ").first.flatMap({ Int($0) }) else {
            throw DriverError("no VmRSS in /proc/\(pid)/status: \(fields)")
        }
        return value
    }

    /// The signals pending for the process, thread-directed (`SigPnd`) and process-directed
    /// (`ShdPnd`) together, as a mask with bit `n - 1` for signal `n`.
    static func pendingSignals(of pid: Int32) throws -> UInt64 {
        let fields = try fields(of: pid)
        guard let thread = fields["SigPnd"].flatMap({ UInt64($0, radix: 16) }),
              let shared = fields["ShdPnd"].flatMap({ UInt64($0, radix: 16) })
        else { throw DriverError("no SigPnd/ShdPnd in /proc/\(pid)/status: \(fields)") }
        return thread | shared
    }

    /// The mask bit of `signal` in ``pendingSignals(of:)``.
    static func bit(_ signal: Int32) -> UInt64 {
        1 << UInt64(signal - 1)
    }

    /// The number of the system call the process is blocked in (first field of
    /// `/proc/PID/syscall`), `nil` while it runs on a CPU (`running`).
    static func blockedSyscall(of pid: Int32) throws -> Int? {
        let text: String
        do {
            text = try String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8)
        } catch {
            throw DriverError("cannot read /proc/\(pid)/syscall: \(error)")
        }
        return text.split(separator: " ").first.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `epoll_wait`, `epoll_pwait` and `epoll_pwait2` on x86_64 and aarch64.
    static let epollWaitSyscalls: Set<Int> = {
        #if arch(x86_64)
        return [232, 281, 441]
        #else
        return [22, 441]
        #endif
    }()

    /// Polls (every 2 ms, the one thing polled: a settled state) until `condition` holds.
    /// - Throws: ``DriverError`` with `what` and the last reading at the deadline.
    static func waitUntil(_ what: String, timeout: Duration, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while true {
            if try condition() { return }
            guard Date() < deadline else { throw DriverError("timed out after \(timeout) waiting until \(what)") }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }
}
