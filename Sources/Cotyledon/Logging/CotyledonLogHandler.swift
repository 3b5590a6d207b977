import Glibc
import Logging

/// A swift-log handler that writes each record as one line with one `write(2)`, so lines
/// of the master and of every worker sharing a stream never interleave:
///
/// ```
/// 2026-11-27T16:40:00.123456Z info cotyledon-demo[1234]: printer worker(0) [pid 1235] started event=worker-started service=printer worker=0 pid=1235 mono=12.345678
/// ```
///
/// The pid is that of the process writing (master or worker); `event=` comes first among
/// the metadata, the rest sorted; `mono=` is `CLOCK_MONOTONIC` in seconds, comparable
/// across processes. It holds no lock and starts no thread, so the single-threaded
/// master can use it before and after forking.
///
/// Whatever a record holds — a configuration key with a newline, an error text with an
/// escape sequence — it stays one line that cannot pass for another: the message has its
/// control characters and backslashes escaped (`\n`, `\u001b`, `\\`), and a field value
/// that is not a plain word is quoted and escaped as a JSON string (logfmt):
///
/// ```
/// … error demo[1234]: reload failed: demo.yaml:1:1: a\nb: unknown key 'a\nb' event=reload-failed error="demo.yaml:1:1: a\nb: unknown key 'a\nb'" mono=20.5
/// ```
///
/// A message or a value longer than 4 KiB is cut, saying how many bytes were left out.
///
/// When the descriptor is the systemd journal (`JOURNAL_STREAM` names its device and
/// inode), each line starts with its syslog priority instead of a timestamp —
/// `<3>cotyledon-demo[1235]: …` — so `journalctl -p err` filters and colours it; the
/// journal adds its own timestamps. Every line of a unit carries the master's `_PID`
/// in the journal, which is why the writer's pid stays in the text.
///
/// The master never blocks on its log stream: a line it cannot write at once is dropped,
/// and the next line written says how many were lost.
///
/// A handler whose ``logLevel`` was never set follows the daemon's log level — the
/// configuration's `log_level`, and `cotyledonctl log-level` — in the master and in every
/// running worker, from the next record on (`.info` outside a daemon). Setting
/// ``logLevel`` gives the handler a level of its own.
public struct CotyledonLogHandler: LogHandler {
    /// The minimum level written: the handler's own once set, else the daemon's.
    public var logLevel: Logger.Level {
        get { ownLevel ?? (testDaemonLevel ?? DaemonLogLevel.shared)?.level ?? .info }
        set { ownLevel = newValue }
    }
    /// Metadata added to every record.
    public var metadata: Logger.Metadata = [:]
    /// Contributes metadata at log time.
    public var metadataProvider: Logger.MetadataProvider?

    private let programName: String
    private let fileDescriptor: Int32
    private let writesToJournal: Bool
    private var ownLevel: Logger.Level?
    /// Read instead of the daemon's shared level, in unit tests.
    private let testDaemonLevel: DaemonLogLevel?

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - programName: the name before `[pid]`; defaults to the executable's base name.
    ///   - fileDescriptor: where lines go; defaults to standard error.
    public init(programName: String? = nil, fileDescriptor: Int32 = STDERR_FILENO) {
        self.init(programName: programName, fileDescriptor: fileDescriptor, daemonLevel: nil)
    }

    /// A handler that follows `daemonLevel` instead of the daemon's shared level (tests).
    init(programName: String? = nil, fileDescriptor: Int32 = STDERR_FILENO, daemonLevel: DaemonLogLevel?) {
        self.programName = Logfmt.word(programName ?? ProgramName.current)
        self.fileDescriptor = fileDescriptor
        self.writesToJournal = JournalStream.isConnected(to: fileDescriptor)
        self.testDaemonLevel = daemonLevel
    }

    /// Drops the handler's own level: it follows the daemon's from now on.
    mutating func followDaemonLogLevel() {
        ownLevel = nil
    }

    /// Reads or writes one metadata entry.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and writes one record. In the master, a record that cannot be written
    /// within 50 ms (the stream is full) is dropped, and so are the next ones until the
    /// stream takes data again; the next line written says how many were lost.
    ///
    /// - Parameter event: the record swift-log passes.
    public func log(event: LogEvent) {
        guard MasterLogGuard.admit(fileDescriptor) else { return }
        let dropped = MasterLogGuard.takeDroppedCount()
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }
        let prefix = writesToJournal ? "<\(Self.syslogPriority(event.level))>" : "\(LogTimestamp.now()) "
        var line = "\(prefix)\(event.level) \(programName)[\(getpid())]: \(Logfmt.message("\(event.message)"))"
        if let eventName = fields.removeValue(forKey: "event") {
            line += " event=\(Logfmt.value("\(eventName)"))"
        }
        for key in fields.keys.sorted() {
            line += " \(Logfmt.key(key))=\(Logfmt.value("\(fields[key]!)"))"
        }
        line += " mono=\(LogTimestamp.monotonic())\n"
        if dropped > 0 {
            line = "\(prefix)warning \(programName)[\(getpid())]: \(dropped) log lines dropped: the log stream was full event=\(LogEventName.logDropped.rawValue) lines=\(dropped)\n" + line
        }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            try? Syscall.writeAll(fileDescriptor, UnsafeRawBufferPointer(buffer))
        }
    }

    /// The syslog priority journald reads from a `<N>` prefix.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}

/// Timestamps for log lines, computed without Foundation.
enum LogTimestamp {
    /// UTC wall-clock time as `2026-11-27T16:40:00.123456Z`.
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(time.tv_nsec / 1000), 6))Z"
    }

    /// `CLOCK_MONOTONIC` seconds with microseconds, as `12345.678901`.
    static func monotonic() -> String {
        let nanoseconds = MonotonicInstant.now.nanoseconds
        return "\(nanoseconds / 1_000_000_000).\(pad(Int32((nanoseconds % 1_000_000_000) / 1000), 6))"
    }

    private static func pad(_ value: Int32, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
