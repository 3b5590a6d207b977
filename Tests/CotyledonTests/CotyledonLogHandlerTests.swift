import Glibc
import Logging
import Testing
@testable import Cotyledon

@Suite struct CotyledonLogHandlerTests {
    /// Logs through a handler writing into a pipe and returns what arrived.
    private func captured(level: Logger.Level = .info, _ body: (inout Logger) -> Void) -> String {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var handler = CotyledonLogHandler(programName: "demo", fileDescriptor: fds[1])
        handler.logLevel = level
        var logger = Logger(label: "test") { _ in handler }
        body(&logger)
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = read(fds[0], &chunk, chunk.count), count > 0 {
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

    @Test func keepsValuesOneTokenLong() {
        let output = captured { logger in
            logger.error("failed", metadata: ["error": "no space left"])
        }
        #expect(output.contains(" error=no_space_left "))
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
