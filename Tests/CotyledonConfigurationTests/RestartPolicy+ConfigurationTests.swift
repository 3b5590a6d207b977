import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

@Suite struct RestartPolicyConfigurationTests {
    private func load(_ yaml: String) throws(ConfigurationError) -> RestartPolicy {
        try ConfigurationFile.load(RestartPolicy.self, yaml: yaml, name: "restart.yaml")
    }

    private func failure(_ yaml: String) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try load(yaml) }
    }

    @Test func everyKeyIsOptional() throws {
        #expect(try load("{}") == .default)
        #expect(try load("jitter: 0.5\n") == RestartPolicy(jitter: 0.5))
    }

    @Test func decodesEveryKeyWithDurationsInSeconds() throws {
        let policy = try load("""
            minimum_uptime: 2
            early_failures_before_backoff: 0
            initial_delay: 0.05
            maximum_delay: 10
            jitter: 1
            """)
        #expect(policy == RestartPolicy(minimumUptime: .seconds(2), earlyFailuresBeforeBackoff: 0,
                                        initialDelay: .milliseconds(50), maximumDelay: .seconds(10), jitter: 1))
    }

    @Test func encodesWhatItDecodes() throws {
        let policy = RestartPolicy(minimumUptime: .milliseconds(1500), earlyFailuresBeforeBackoff: 5,
                                   initialDelay: .milliseconds(200), maximumDelay: .seconds(60), jitter: 0.1)
        #expect(try load(ConfigurationText.encode(policy)) == policy)
    }

    @Test(arguments: ["1.5", "-0.1", ".nan"])
    func jitterMustBeBetweenZeroAndOne(_ jitter: String) throws {
        // Decoding keeps the value as written (RestartPolicy's init would clamp it) so it can be refused.
        let error = try #require(failure("jitter: \(jitter)\n"))
        #expect(error.kind == .invalidValue)
        #expect(error.keyPath == ["jitter"])
        #expect(error.problem.hasPrefix("must be between 0 and 1, got"))
    }

    @Test func earlyFailuresMustNotBeNegative() throws {
        let error = try #require(failure("early_failures_before_backoff: -1\n"))
        #expect(error.description == "restart.yaml:1:1: early_failures_before_backoff: must be 0 or more, got -1 — set how many early failures in a row are respawned at once, e.g. 3")
    }

    @Test(arguments: ["minimum_uptime", "initial_delay", "maximum_delay"])
    func durationsMustBeBetweenZeroAndADay(_ key: String) throws {
        let negative = try #require(failure("\(key): -1\n"))
        #expect(negative.keyPath == [key])
        #expect(negative.problem == "must be between 0 and 86400 seconds (one day), got -1")
        let huge = try #require(failure("\(key): 90000\n"))
        #expect(huge.keyPath == [key])
    }

    @Test func zeroDurationsAreAllowed() throws {
        #expect(try load("minimum_uptime: 0\ninitial_delay: 0\nmaximum_delay: 0\n").maximumDelay == .zero)
    }

    @Test func theInitialDelayMustNotExceedTheMaximum() throws {
        let error = try #require(failure("initial_delay: 5\nmaximum_delay: 2\n"))
        #expect(error.keyPath == ["initial_delay"])
        #expect(error.line == 1)
        #expect(error.description == "restart.yaml:1:1: initial_delay: 5 s is longer than maximum_delay (2 s) — lower initial_delay or raise maximum_delay")
    }
}
