import Testing
@testable import Cotyledon

@Suite struct ConfigurationRuleViolationTests {
    @Test func readsAsKeyPathProblemAndFix() {
        let violation = ConfigurationRuleViolation.invalidValue(["jitter"], "must be between 0 and 1, got 2", fix: "set a spread")
        #expect(violation.nested(under: ["restart"]).description == "restart.jitter: must be between 0 and 1, got 2 — set a spread")
    }

    @Test func aServicesRulesNameTheKeyOfTheRestartPolicy() {
        var restart = RestartPolicy.default
        restart.jitter = 2
        #expect(throws: ConfigurationRuleViolation.invalidValue(["restart", "jitter"], "must be between 0 and 1, got 2",
                                                                fix: "set the relative spread of each delay, e.g. 0.2 for ±20 %")) {
            try ServiceConfiguration(workers: 1, restart: restart).checkRules()
        }
    }
}
