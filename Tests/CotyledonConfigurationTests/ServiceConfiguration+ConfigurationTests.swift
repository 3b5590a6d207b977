import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

@Suite struct ServiceConfigurationTests {
    private func load(_ yaml: String) throws(ConfigurationError) -> ServiceConfiguration {
        try ConfigurationFile.load(ServiceConfiguration.self, yaml: yaml, name: "service.yaml")
    }

    private func failure(_ yaml: String) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try load(yaml) }
    }

    @Test func onlyWorkersIsRequired() throws {
        let configuration = try load("workers: 3\n")
        #expect(configuration == ServiceConfiguration(workers: 3))
        #expect(configuration.minWorkers == 1)
        #expect(configuration.maxWorkers == ServiceManager.maximumWorkers)
        #expect(configuration.gracefulShutdownTimeout == nil)
        #expect(configuration.readinessTimeout == .seconds(30))
        #expect(configuration.restart == .default)

        let missing = try #require(failure("min_workers: 1\n"))
        #expect(missing.kind == .missingKey)
        #expect(missing.keyPath == ["workers"])
    }

    @Test func decodesEveryKeyWithDurationsInSeconds() throws {
        let configuration = try load("""
            workers: 4
            min_workers: 2
            max_workers: 8
            graceful_shutdown_timeout: 12.5
            readiness_timeout: 0.25
            restart:
              jitter: 0
            """)
        var restart = RestartPolicy.default
        restart.jitter = 0
        #expect(configuration == ServiceConfiguration(
            workers: 4, minWorkers: 2, maxWorkers: 8, gracefulShutdownTimeout: .milliseconds(12_500),
            readinessTimeout: .milliseconds(250), restart: restart))
    }

    @Test func aNullGracefulTimeoutMeansTheManagers() throws {
        #expect(try load("workers: 1\ngraceful_shutdown_timeout: null\n").gracefulShutdownTimeout == nil)
        #expect(try load("workers: 1\ngraceful_shutdown_timeout:\n").gracefulShutdownTimeout == nil)
    }

    @Test func encodesWhatItDecodes() throws {
        let configuration = ServiceConfiguration(
            workers: 3, minWorkers: 2, maxWorkers: 5, gracefulShutdownTimeout: .milliseconds(1500),
            readinessTimeout: .seconds(7), restart: RestartPolicy(initialDelay: .milliseconds(250), jitter: 0.5))
        let yaml = try ConfigurationText.encode(configuration)
        #expect(try load(yaml) == configuration)
        #expect(yaml.contains("\"min_workers\" : 2"))
        #expect(yaml.contains("\"graceful_shutdown_timeout\" : 1.5"))
    }

    @Test func listsEveryAllowedKeyForAnUnknownOne() throws {
        let error = try #require(failure("workers: 2\nworker_count: 3\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.fix == "the keys allowed at the top level are workers, min_workers, max_workers, graceful_shutdown_timeout, readiness_timeout, restart, heartbeat_timeout, max_lifetime, lifetime_jitter, listeners; correct or remove it")
    }

    @Test func listsEveryAllowedKeyEvenWhenTheRequiredOneIsMisspelt() throws {
        // The coding keys are CaseIterable, so an unknown key wins over the missing one
        // even when it does not look like it.
        let error = try #require(failure("count: 2\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath == ["count"])
        #expect(error.fix.contains("workers, min_workers, max_workers"))
    }

    @Test func rejectsAnUnknownKeyInsideRestart() throws {
        let error = try #require(failure("workers: 2\nrestart:\n  initial_dealy: 1\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath == ["restart", "initial_dealy"])
        #expect(error.line == 3 && error.column == 3)
        #expect(error.problem == "unknown key 'initial_dealy' (did you mean 'initial_delay'?)")
    }

    // MARK: Rules

    @Test(arguments: [0, -1, 10_001])
    func workersMustBeInRange(_ workers: Int) throws {
        let error = try #require(failure("workers: \(workers)\n"))
        #expect(error.kind == .invalidValue)
        #expect(error.description == "service.yaml:1:1: workers: must be between 1 and 10000, got \(workers) — set a count in that range")
    }

    @Test func workersMustBeAWholeNumber() throws {
        let error = try #require(failure("workers: two\n"))
        #expect(error.kind == .wrongType)
        #expect(error.description == "service.yaml:1:1: workers: expected a whole number, got the string \"two\" — write a whole number here")
    }

    @Test func minWorkersMustBeAtLeastOne() throws {
        let error = try #require(failure("workers: 1\nmin_workers: 0\n"))
        #expect(error.keyPath == ["min_workers"])
        #expect(error.line == 2)
        #expect(error.problem == "must be between 1 and 10000, got 0")
    }

    @Test func maxWorkersMustBeInRange() throws {
        let error = try #require(failure("workers: 1\nmax_workers: 20000\n"))
        #expect(error.keyPath == ["max_workers"])
        #expect(error.problem == "must be between 1 and 10000, got 20000")
    }

    @Test func minWorkersMustNotExceedMaxWorkers() throws {
        let error = try #require(failure("workers: 4\nmin_workers: 5\nmax_workers: 3\n"))
        #expect(error.keyPath == ["min_workers"])
        #expect(error.line == 2)
        #expect(error.description == "service.yaml:2:1: min_workers: 5 is greater than max_workers (3) — lower min_workers or raise max_workers")
    }

    @Test(arguments: ["workers: 1\nmin_workers: 2\n", "workers: 9\nmax_workers: 8\n"])
    func workersMustBeWithinTheBounds(_ yaml: String) throws {
        let error = try #require(failure(yaml))
        #expect(error.keyPath == ["workers"])
        #expect(error.line == 1)
        #expect(error.problem.hasPrefix("must be between min_workers"))
        #expect(error.fix == "change workers or the bounds")
    }

    @Test(arguments: ["0", "-1", "86400.5", "100000"])
    func timeoutsMustBePositiveAndAtMostADay(_ seconds: String) throws {
        for key in ["graceful_shutdown_timeout", "readiness_timeout"] {
            let error = try #require(failure("workers: 1\n\(key): \(seconds)\n"))
            #expect(error.kind == .invalidValue)
            #expect(error.keyPath == [key])
            #expect(error.line == 2)
            #expect(error.problem == "must be more than 0 and at most 86400 seconds (one day), got \(seconds)")
        }
    }

    @Test func aDayIsTheLongestTimeout() throws {
        #expect(try load("workers: 1\nreadiness_timeout: 86400\n").readinessTimeout == .seconds(86_400))
    }

    @Test(arguments: [".inf", ".nan", "1e300"])
    func durationsMustBeUsableNumbers(_ seconds: String) throws {
        let error = try #require(failure("workers: 1\nreadiness_timeout: \(seconds)\n"))
        #expect(error.kind == .invalidValue)
        #expect(error.keyPath == ["readiness_timeout"])
        #expect(error.problem.hasSuffix("is not a usable number of seconds"))
    }

    @Test func durationsAreNumbersNotStrings() throws {
        let error = try #require(failure("workers: 1\nreadiness_timeout: 30s\n"))
        #expect(error.kind == .wrongType)
        #expect(error.problem == "expected a number of seconds, got the string \"30s\"")
        #expect(error.fix == "write a number of seconds without a unit, such as 30 or 0.5")
    }

    @Test func restartErrorsCarryTheirNestedPath() throws {
        let error = try #require(failure("workers: 1\nrestart:\n  jitter: 2\n"))
        #expect(error.keyPath == ["restart", "jitter"])
        #expect(error.line == 3 && error.column == 3)
    }

    @Test func validatesWithoutAFileToo() {
        #expect(throws: Never.self) { try ServiceConfiguration(workers: 5).validate() }
        #expect(throws: ConfigurationError.invalidValue(["workers"], "must be between 1 and 10000, got 0", fix: "set a count in that range")) {
            try ServiceConfiguration(workers: 0).validate()
        }
    }
}
