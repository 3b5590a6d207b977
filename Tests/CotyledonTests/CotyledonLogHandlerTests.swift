import CotyledonControlProtocol
import Glibc
import Logging
import PropertyBased
import Testing
@testable import Cotyledon

@Suite struct CotyledonLogHandlerTests {
    /// Logs through a handler writing into an unlinked temporary file (which, unlike a pipe,
    /// takes a line of any length without a reader) and returns what arrived.
    private func captured(level: Logger.Level = .info, programName: String = "demo", _ body: (inout Logger) -> Void) -> String {
        var template = Array("/tmp/cotyledon-log-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        #expect(fd >= 0)
        unlink(template)
        defer { close(fd) }
        var handler = CotyledonLogHandler(programName: programName, fileDescriptor: fd)
        handler.logLevel = level
        var logger = Logger(label: "test") { _ in handler }
        body(&logger)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while case let count = pread(fd, &chunk, chunk.count, off_t(bytes.count)), count > 0 {
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func writesOneLineWithEventFirstThenSortedFieldsAndMonotonicTime() throws {
        let output = captured { logger in
            logger.info("printer worker(0) [pid 9] started",
                        metadata: ["worker": "0", "event": "worker-started", "service": "printer"])
        }
        let line = try #require(output.split(separator: "\n").first.map(String.init))
        #expect(output.hasSuffix("\n"))
        #expect(output.split(separator: "\n").count == 1)
        #expect(line.contains(" info demo[\(getpid())]: printer worker(0) [pid 9] started event=worker-started service=printer worker=0 mono="))
        let timestamp = try #require(line.split(separator: " ").first)
        #expect(timestamp.count == "2026-11-27T16:40:00.123456Z".count)
        #expect(timestamp.hasSuffix("Z"))
    }

    @Test func quotesAndEscapesValuesThatAreNotPlainWords() {
        let output = captured { logger in
            logger.error("failed", metadata: [
                "error": "no space left", "empty": "", "key": "a\nFORGED master exiting\u{1b}[31m\u{0}",
                "path": #"C:\dir"#, "quote": #"say "hi""#, "plain": "exited:0", "sum": "a=b",
            ])
        }
        #expect(output.contains(#" empty="" error="no space left" key="a\nFORGED master exiting\u001b[31m\u0000" "#
                                + #"path="C:\\dir" plain=exited:0 quote="say \"hi\"" sum="a=b" mono="#), "\(output)")
    }

    @Test func escapesTheMessageTheKeysAndTheProgramName() {
        let output = captured(programName: "my\u{1b}]0;x\u{7} daemon") { logger in
            logger.critical("reload failed: unknown key 'a\nFORGED master exiting\u{9b}' in C:\\x",
                            metadata: ["bad key\n=": "1", "": "2"])
        }
        #expect(output.split(separator: "\n").count == 1, "\(output)")
        #expect(output.contains(#" critical my\u001b]0;x\u0007\u0020daemon["#), "\(output)")
        #expect(output.contains(#"]: reload failed: unknown key 'a\nFORGED master exiting\u009b' in C:\\x _=2 bad_key__=1 mono="#),
                "\(output)")
    }

    @Test func cutsLongMessagesAndValuesSayingHowMuchWasLeftOut() throws {
        let huge = String(repeating: "k\u{1b}", count: 100_000)
        let output = captured { logger in
            logger.error("\(huge)", metadata: ["error": "\(huge)", "event": "reload-failed"])
        }
        #expect(output.split(separator: "\n").count == 1)
        #expect(output.utf8.count < 3 * Logfmt.maximumPartBytes, "the journal splits lines of 48 KiB: \(output.utf8.count) bytes")
        let value = try #require(Self.field("error", of: output))
        #expect(value.hasPrefix("k\u{1b}k\u{1b}") && value.hasSuffix(" more bytes)"), "\(value.suffix(40))")
        #expect(output.contains(" event=reload-failed "))
    }

    /// For any text: the line holds no character a terminal or a log reader would act on,
    /// stays one line, and its value reads back, with any JSON reader, as the text.
    @Test func anyValueStaysOnOneLineAndReadsBack() async {
        await propertyCheck(count: 300, input: LogText.pieces, LogText.scalars) { pieces, scalars in
            let text = LogText.interleave(pieces, scalars)
            let output = captured { logger in
                logger.info("m", metadata: ["k": "\(text)"])
            }
            #expect(LogText.isSafe(output), "\(output.debugDescription)")
            let value = Self.field("k", of: output)
            #expect(value == text, "\(text.debugDescription) → \(output.debugDescription)")
        }
    }

    @Test func anyMessageStaysOnOneLineAndReadsBack() async {
        await propertyCheck(count: 300, input: LogText.pieces, LogText.scalars) { pieces, scalars in
            let text = LogText.interleave(pieces, scalars)
            let output = captured { logger in
                logger.info("\(text)")
            }
            #expect(LogText.isSafe(output), "\(output.debugDescription)")
            let message = try #require(LogText.slice(of: output, after: "]: ", beforeLast: " mono="))
            #expect(LogText.unescapedMessage(message) == text, "\(text.debugDescription) → \(output.debugDescription)")
        }
    }

    /// The value of the field `key` of the record `m key=… mono=…` in `output`, read back.
    private static func field(_ key: String, of output: String) -> String? {
        LogText.slice(of: output, after: " \(key)=", beforeLast: " mono=").flatMap(LogText.unquotedValue)
    }

    @Test func dropsRecordsBelowTheLevel() {
        let output = captured(level: .warning) { logger in
            logger.info("hidden")
            logger.warning("shown")
        }
        #expect(!output.contains("hidden"))
        #expect(output.contains("shown"))
    }
}

@Suite struct SyslogPriorityTests {
    @Test func mapsLevelsToSyslogPriorities() {
        let expected: [(Logger.Level, Int)] = [
            (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
        for (level, priority) in expected {
            #expect(CotyledonLogHandler.syslogPriority(level) == priority, "\(level)")
        }
    }
}

/// Which level a handler writes at: its own once set, else the daemon's shared one.
@Suite struct CotyledonLogHandlerLevelTests {
    @Test func followsTheDaemonLevelUntilGivenItsOwn() throws {
        let daemon = try #require(DaemonLogLevel())
        var handler = CotyledonLogHandler(programName: "test", fileDescriptor: -1, daemonLevel: daemon)
        #expect(handler.logLevel == .info, "no daemon level yet: the default")
        daemon.level = .warning
        #expect(handler.logLevel == .warning)
        daemon.level = .trace
        #expect(handler.logLevel == .trace, "a change applies to the handler as it is")
        handler.logLevel = .error
        daemon.level = .debug
        #expect(handler.logLevel == .error, "its own level wins")
        handler.followDaemonLogLevel()
        #expect(handler.logLevel == .debug)
    }

    @Test func storesEveryLevel() throws {
        let daemon = try #require(DaemonLogLevel())
        for level in Logger.Level.allCases {
            daemon.level = level
            #expect(daemon.level == level)
        }
        daemon.level = nil
        #expect(daemon.level == nil)
    }
}
