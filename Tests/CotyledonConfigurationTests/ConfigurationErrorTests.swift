import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

@Suite struct ConfigurationErrorTests {
    @Test func readsLikeACompilerDiagnostic() {
        let error = ConfigurationError(kind: .invalidValue, file: "config/cotyledon-demo.yaml",
                                       keyPath: ["services", "printer", "workers"], line: 7, column: 5,
                                       problem: "must be between 1 and 10000, got 0", fix: "set a count in that range")
        #expect(error.description
            == "config/cotyledon-demo.yaml:7:5: services.printer.workers: must be between 1 and 10000, got 0 — set a count in that range")
    }

    @Test func aRuleViolationBecomesAnInvalidValueThatReadsTheSame() {
        // ServiceManager shows a violation's description for settings given in code: it must
        // read as the error a file with the same settings gets, before the loader locates it.
        let violation = ConfigurationRuleViolation.invalidValue(["restart", "jitter"], "must be between 0 and 1, got 2", fix: "set a spread")
        let error = ConfigurationError(violation)
        #expect(error == .invalidValue(["restart", "jitter"], "must be between 0 and 1, got 2", fix: "set a spread"))
        #expect(error.description == violation.description)
    }

    @Test func leavesOutTheUnknownParts() {
        let bare = ConfigurationError.invalidValue(["workers"], "must be between 1 and 10000, got 0", fix: "set a count in that range")
        #expect(bare.description == "workers: must be between 1 and 10000, got 0 — set a count in that range")
        #expect(bare.file == nil && bare.line == nil && bare.column == nil)

        let wholeFile = ConfigurationError(kind: .empty, file: "a.yaml", problem: "the file is empty", fix: "write it")
        #expect(wholeFile.description == "a.yaml: the file is empty — write it")

        let noColumn = ConfigurationError(kind: .syntax, file: "a.yaml", line: 3, problem: "bad", fix: "fix it")
        #expect(noColumn.description == "a.yaml:3: bad — fix it")

        let noFile = ConfigurationError(kind: .syntax, line: 3, column: 2, problem: "bad", fix: "fix it")
        #expect(noFile.description == "line 3:2: bad — fix it")
    }

    @Test func nestingPrefixesTheKeyPath() {
        let error = ConfigurationError.invalidValue(["restart", "jitter"], "must be between 0 and 1, got 2", fix: "set it")
            .nested(under: ["services", "printer"])
        #expect(error.keyPath == ["services", "printer", "restart", "jitter"])
        #expect(error.dottedKeyPath == "services.printer.restart.jitter")
        #expect(error.kind == .invalidValue)
    }

    @Test func listIndicesAreWrittenWithBrackets() {
        let error = ConfigurationError.invalidValue(["listeners", "[2]", "port"], "bad", fix: "fix")
        #expect(error.dottedKeyPath == "listeners[2].port")
        #expect(ConfigurationError.invalidValue(["[0]"], "bad", fix: "fix").dottedKeyPath == "[0]")
    }
}
