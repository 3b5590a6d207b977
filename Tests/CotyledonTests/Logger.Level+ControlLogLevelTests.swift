import CotyledonControlProtocol
import Logging
import Testing
@testable import Cotyledon

/// The protocol's log levels are swift-log's, in the same order and spelling.
@Suite struct LoggerLevelControlLogLevelTests {
    @Test func theLevelsAreSwiftLogs() {
        #expect(ControlLogLevel.allCases.map(\.rawValue) == Logger.Level.allCases.map(\.rawValue))
    }

    @Test("each level maps to the swift-log level of its name", arguments: ControlLogLevel.allCases)
    func eachLevelMapsByName(_ level: ControlLogLevel) {
        #expect(Logger.Level(level).rawValue == level.rawValue)
    }
}
