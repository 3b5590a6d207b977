import Foundation
import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

/// `listeners:` and a service's `listeners` in a configuration file.
@Suite struct ListenerConfigurationFileTests {
    private func load(_ yaml: String) throws(ConfigurationError) -> ManagerConfiguration {
        try ConfigurationFile.load(ManagerConfiguration.self, yaml: yaml, name: "demo.yaml") { (configuration: ManagerConfiguration) throws(ConfigurationError) in
            try configuration.validate(knownServices: ["web"])
        }
    }

    private func failure(_ yaml: String) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try load(yaml) }
    }

    @Test func decodesListenersAndAServicesSelection() throws {
        let configuration = try load("""
            listeners:
              http:
                address: 127.0.0.1:8080
                backlog: 64
              admin:
                address: unix:/run/demo/admin.sock
                mode: "0600"
              v6:
                address: "[::1]:0"
            services:
              web:
                workers: 2
                listeners: [http, v6]
            """)
        #expect(configuration.listeners == [
            "http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 8080), backlog: 64),
            "admin": ListenerConfiguration(address: .unix(path: "/run/demo/admin.sock"), mode: 0o600),
            "v6": ListenerConfiguration(address: .tcp(host: "::1", port: 0)),
        ])
        #expect(configuration.services["web"]?.listeners == ["http", "v6"])
        #expect(try load("services: {web: {workers: 1}}\n").services["web"]?.listeners == nil, "default: every listener")
    }

    @Test func aBadAddressIsLocatedAtItsLine() throws {
        let error = try #require(failure("listeners:\n  http:\n    address: localhost:80\n"))
        #expect(error.keyPath == ["listeners", "http", "address"])
        #expect(error.line == 3)
        #expect(error.problem.contains("'localhost' is not an IPv4 address"), "\(error)")
    }

    @Test func anUnknownKeyIsSuggested() throws {
        let error = try #require(failure("listeners:\n  http:\n    address: 127.0.0.1:80\n    backlg: 5\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.line == 4)
        #expect(error.problem.contains("backlog"), "\(error)")
    }

    @Test func aServiceNamingAnUndeclaredListenerIsRejected() throws {
        let error = try #require(failure("""
            listeners:
              http: {address: "127.0.0.1:80"}
            services:
              web:
                workers: 1
                listeners: [htp]
            """))
        #expect(error.keyPath == ["services", "web", "listeners"])
        #expect(error.line == 6)
        #expect(error.problem == "unknown listener 'htp': the listeners are http", "\(error)")
    }

    @Test("a service may name a listener the daemon adds in code when validate is told its name")
    func aServiceMayNameAListenerDeclaredInCode() throws {
        let yaml = "listeners:\n  http: {address: \"127.0.0.1:80\"}\nservices:\n  web:\n    workers: 1\n    listeners: [http, admin]\n"
        let loaded = try ConfigurationFile.load(ManagerConfiguration.self, yaml: yaml, name: "demo.yaml") { (configuration: ManagerConfiguration) throws(ConfigurationError) in
            try configuration.validate(knownServices: ["web"], knownListeners: ["admin"])
        }
        #expect(loaded.services["web"]?.listeners == ["http", "admin"])
        let error = try #require(failure(yaml))
        #expect(error.problem == "unknown listener 'admin': the listeners are http", "\(error)")
    }

    @Test("rules: backlog range, mode only for unix, listener names", arguments: [
        ("listeners: {http: {address: \"127.0.0.1:80\", backlog: 0}}\n", ["listeners", "http", "backlog"]),
        ("listeners: {http: {address: \"127.0.0.1:80\", mode: \"0600\"}}\n", ["listeners", "http", "mode"]),
        ("listeners: {s: {address: \"unix:/run/s.sock\", mode: \"9\"}}\n", ["listeners", "s", "mode"]),
        ("listeners: {Http: {address: \"127.0.0.1:80\"}}\n", ["listeners", "Http"]),
        ("services: {web: {workers: 1, listeners: [a, a]}}\nlisteners: {a: {address: \"127.0.0.1:1\"}}\n", ["services", "web", "listeners", "[1]"]),
    ])
    func ruleViolations(yaml: String, keyPath: [String]) throws {
        let error = try #require(failure(yaml))
        #expect(error.keyPath == keyPath, "\(error)")
        #expect(error.line != nil, "\(error)")
    }

    @Test func encodingRoundTrips() throws {
        let configuration = ManagerConfiguration(
            services: ["web": ServiceConfiguration(workers: 1, listeners: ["http"])],
            listeners: ["http": try ListenerConfiguration(parsing: "[::]:8080", backlog: 10),
                        "s": ListenerConfiguration(address: .unix(path: "/run/s.sock"), mode: 0o640)])
        let decoded = try ConfigurationFile.load(ManagerConfiguration.self, yaml: try Self.yaml(of: configuration), name: "x.yaml")
        #expect(decoded == configuration)
    }

    /// `configuration` written as a configuration file, through JSON (a subset of YAML).
    static func yaml(of configuration: ManagerConfiguration) throws -> String {
        String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
    }
}
