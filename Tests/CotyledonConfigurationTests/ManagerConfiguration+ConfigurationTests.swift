import Foundation
import Logging
import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

@Suite struct ManagerConfigurationTests {
    static let demoServices = ["printer", "echo"]

    /// The demo's configuration file, as shipped.
    static let demoFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/cotyledon-demo.yaml").path

    private func load(_ yaml: String, knownServices: [String] = demoServices) throws(ConfigurationError) -> ManagerConfiguration {
        try ConfigurationFile.load(ManagerConfiguration.self, yaml: yaml, name: "demo.yaml") { (configuration: ManagerConfiguration) throws(ConfigurationError) in
            try configuration.validate(knownServices: knownServices)
        }
    }

    private func failure(_ yaml: String, knownServices: [String] = demoServices) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try load(yaml, knownServices: knownServices) }
    }

    @Test func everyKeyIsOptional() throws {
        let configuration = try load("services: {printer: {workers: 2}}\n")
        #expect(configuration == ManagerConfiguration(services: ["printer": ServiceConfiguration(workers: 2)]))
        #expect(configuration.logLevel == .info)
        #expect(configuration.gracefulShutdownTimeout == .seconds(60))
        #expect(configuration.startupTimeout == .seconds(90))
        #expect(try load("log_level: debug\n").services.isEmpty)
    }

    @Test func decodesEveryKey() throws {
        let configuration = try load("""
            log_level: warning
            graceful_shutdown_timeout: 5
            startup_timeout: 0.5
            services:
              printer:
                workers: 3
              echo:
                workers: 1
                readiness_timeout: 2
            """)
        #expect(configuration == ManagerConfiguration(
            logLevel: .warning, gracefulShutdownTimeout: .seconds(5), startupTimeout: .milliseconds(500),
            services: ["printer": ServiceConfiguration(workers: 3),
                       "echo": ServiceConfiguration(workers: 1, readinessTimeout: .seconds(2))]))
    }

    @Test func fdStoreIsOffUnlessTurnedOn() throws {
        #expect(try load("log_level: info\n").fileDescriptorStore == false)
        #expect(try load("fd_store: true\n").fileDescriptorStore == true)
        let configuration = ManagerConfiguration(fileDescriptorStore: true)
        #expect(try load(ConfigurationText.encode(configuration)) == configuration)
        let error = try #require(failure("fd_store: yes please\n"))
        #expect(error.description.contains("fd_store"), "\(error)")
        let misspelt = try #require(failure("fd_stor: true\n"))
        #expect(misspelt.description.contains("fd_store"), "the unknown key suggests fd_store: \(misspelt)")
    }

    @Test func aZeroStartupTimeoutWaitsForever() throws {
        #expect(try load("startup_timeout: 0\n").startupTimeout == nil)
        let configuration = ManagerConfiguration(startupTimeout: nil)
        #expect(try load(ConfigurationText.encode(configuration)) == configuration)
    }

    @Test(arguments: ["-1", "86401"])
    func theStartupTimeoutMustBeInRange(_ seconds: String) throws {
        let error = try #require(failure("log_level: info\nstartup_timeout: \(seconds)\n"))
        #expect(error.keyPath == ["startup_timeout"])
        #expect(error.line == 2)
        #expect(error.problem == "must be more than 0 and at most 86400 seconds (one day), got \(seconds)")
    }

    @Test(arguments: ["0", "-5", "86401"])
    func theGracefulTimeoutMustBeInRange(_ seconds: String) throws {
        let error = try #require(failure("graceful_shutdown_timeout: \(seconds)\n"))
        #expect(error.keyPath == ["graceful_shutdown_timeout"])
        #expect(error.kind == .invalidValue)
    }

    @Test func rejectsAnUnknownLogLevelListingTheLevels() throws {
        let error = try #require(failure("\nlog_level: verbose\n"))
        #expect(error.description == "demo.yaml:2:1: log_level: 'verbose' is not a log level — use one of trace, debug, info, notice, warning, error, critical")
        let shouted = try #require(failure("log_level: INFO\n"))
        #expect(shouted.problem == "'INFO' is not a log level (did you mean 'info'?)")
    }

    @Test func locatesServiceErrorsAtTheirLine() throws {
        let error = try #require(failure("""
            log_level: info
            services:
              printer:
                workers: 0
            """))
        #expect(error.description == "demo.yaml:4:5: services.printer.workers: must be between 1 and 10000, got 0 — set a count in that range")
    }

    @Test func locatesRestartErrorsAtTheirLine() throws {
        let error = try #require(failure("""
            services:
              printer:
                workers: 1
                restart:
                  initial_delay: 40
            """))
        #expect(error.keyPath == ["services", "printer", "restart", "initial_delay"])
        #expect(error.line == 5 && error.column == 7)
        #expect(error.problem == "40 s is longer than maximum_delay (30 s)")
    }

    @Test func rejectsAnUnknownKeyInAService() throws {
        let error = try #require(failure("services:\n  printer:\n    wrokers: 2\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.description.hasPrefix("demo.yaml:3:5: services.printer.wrokers: unknown key 'wrokers' (did you mean 'workers'?) — the keys allowed under services.printer are workers, min_workers"))
    }

    @Test(arguments: ["Printer", "print er", "printer!", "\"\""])
    func serviceNamesAreLowercaseWordsWithDigitsDashesAndUnderscores(_ name: String) throws {
        let error = try #require(failure("services:\n  \(name):\n    workers: 1\n", knownServices: ["Printer", "print er", "printer!", ""]))
        #expect(error.kind == .invalidValue)
        #expect(error.problem.hasSuffix("is not a valid service name: use only a-z, 0-9, '_' and '-'"))
        #expect(error.line == 2)
    }

    @Test func acceptsServiceNamesWithDigitsDashesAndUnderscores() throws {
        #expect(ManagerConfiguration.isValidServiceName("web-2_api"))
        #expect(!ManagerConfiguration.isValidServiceName(""))
        #expect(!ManagerConfiguration.isValidServiceName("é"))
        _ = try load("services:\n  web-2_api:\n    workers: 1\n", knownServices: ["web-2_api"])
    }

    @Test func rejectsAServiceTheDaemonDoesNotRun() throws {
        let error = try #require(failure("services:\n  printer:\n    workers: 1\n  pritner:\n    workers: 1\n"))
        #expect(error.description == "demo.yaml:4:3: services.pritner: unknown service 'pritner': this daemon runs printer, echo (did you mean 'printer'?) — remove it or correct its name")
        let foo = try #require(failure("services:\n  foo:\n    workers: 1\n"))
        #expect(foo.problem == "unknown service 'foo': this daemon runs printer, echo")
        // An unknown service is reported before a bad setting inside it.
        let bad = try #require(failure("services:\n  foo:\n    workers: 0\n"))
        #expect(bad.keyPath == ["services", "foo"])
        #expect(bad.problem.hasPrefix("unknown service 'foo'"))
    }

    @Test func validateAloneAcceptsAnyWellFormedServiceName() throws {
        let configuration = try ConfigurationFile.load(ManagerConfiguration.self, yaml: "services: {foo: {workers: 1}}", name: "x")
        #expect(configuration.services.keys.sorted() == ["foo"])
    }

    @Test func embedsInADaemonsOwnModel() throws {
        struct DaemonConfiguration: Decodable, ValidatableConfiguration {
            var manager: ManagerConfiguration
            var greeting: String
            func validate() throws(ConfigurationError) {
                do { try manager.validate(knownServices: ["printer"]) } catch { throw error.nested(under: ["manager"]) }
            }
        }
        let good = try ConfigurationFile.load(DaemonConfiguration.self, yaml: """
            greeting: hello
            manager:
              services:
                printer:
                  workers: 2
            """, name: "daemon.yaml")
        #expect(good.manager.services["printer"]?.workers == 2)

        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(DaemonConfiguration.self, yaml: "greeting: hi\nmanager:\n  services:\n    printer:\n      workers: 0\n", name: "daemon.yaml")
        }
        #expect(error.description == "daemon.yaml:5:7: manager.services.printer.workers: must be between 1 and 10000, got 0 — set a count in that range")
    }

    // MARK: The shipped demo file

    @Test func theShippedDemoFileLoadsAndHoldsTheDefaults() throws {
        let configuration = try ConfigurationFile.load(ManagerConfiguration.self, from: Self.demoFile) { (configuration: ManagerConfiguration) throws(ConfigurationError) in
            try configuration.validate(knownServices: Self.demoServices)
        }
        #expect(configuration == ManagerConfiguration(services: ["printer": ServiceConfiguration(workers: 2)]))
    }

    @Test func theShippedDemoFileWritesEveryKey() throws {
        let text = try String(contentsOfFile: Self.demoFile, encoding: .utf8)
        let keys = ManagerConfiguration.CodingKeys.allCases.map(\.rawValue)
            + ServiceConfiguration.CodingKeys.allCases.map(\.rawValue)
            + RestartPolicy.CodingKeys.allCases.map(\.rawValue)
        let written = Set(text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) })
        for key in keys {
            #expect(written.contains(key), "config/cotyledon-demo.yaml does not write \(key)")
        }
    }

    @Test func theCommentedOutEchoServiceIsValidOnceUncommented() throws {
        let text = try String(contentsOfFile: Self.demoFile, encoding: .utf8)
        var inEcho = false
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("  # echo:") { inEcho = true }
            guard inEcho, line.hasPrefix("  # ") else { return String(line) }
            return "  " + line.dropFirst(4)
        }.joined(separator: "\n")
        let configuration = try load(uncommented)
        #expect(configuration.services["echo"] == ServiceConfiguration(workers: 2))
        #expect(configuration.services["printer"] == ServiceConfiguration(workers: 2))
    }

    @Test func theConfigReadmeExampleIsWhatTheLoaderSays() throws {
        let text = try String(contentsOfFile: Self.demoFile, encoding: .utf8)
        let broken = text.replacingOccurrences(of: "    workers: 2\n", with: "    workers: 0\n")
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(ManagerConfiguration.self, yaml: broken, name: "config/cotyledon-demo.yaml")
        }
        let readme = try String(contentsOfFile: URL(fileURLWithPath: Self.demoFile).deletingLastPathComponent()
            .appendingPathComponent("README.md").path, encoding: .utf8)
        #expect(readme.contains(error.description), "config/README.md should quote: \(error.description)")
    }
}
