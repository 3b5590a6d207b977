import SystemPackage
import Testing
@testable import Cotyledon

@Suite struct ListenerConfigurationTests {
    @Test("addresses parse and print back", arguments: [
        ("127.0.0.1:8080", ListenerConfiguration.Address.tcp(host: "127.0.0.1", port: 8080)),
        ("0.0.0.0:0", .tcp(host: "0.0.0.0", port: 0)),
        ("[::1]:65535", .tcp(host: "::1", port: 65535)),
        ("[::]:80", .tcp(host: "::", port: 80)),
        ("unix:/run/daemon/http.sock", .unix(path: "/run/daemon/http.sock")),
    ])
    func parsesAndDescribes(text: String, address: ListenerConfiguration.Address) throws {
        #expect(try ListenerConfiguration(parsing: text).address == address)
        #expect(address.description == text)
    }

    @Test("invalid addresses are refused with what to write", arguments: [
        "localhost:80", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8o", "::1:80", "[127.0.0.1]:80",
        "[::1]80", "unix:relative.sock", "unix:/" + String(repeating: "a", count: 107), "", "unix:/run/dir/",
    ])
    func refusesInvalid(text: String) {
        #expect(throws: ListenerConfiguration.InvalidAddress.self) { try ListenerConfiguration(parsing: text) }
    }

    @Test func aUnixPathOf107BytesIsAccepted() throws {
        let path = "/" + String(repeating: "a", count: 106)
        #expect(try ListenerConfiguration(parsing: "unix:" + path).address == .unix(path: path))
    }

    @Test func rules() throws {
        let tcp = try ListenerConfiguration(parsing: "127.0.0.1:80")
        try tcp.checkRules()
        #expect(tcp.backlog == ListenerConfiguration.defaultBacklog)
        var bad = tcp
        bad.backlog = 0
        #expect(throws: ConfigurationRuleViolation.self) { try bad.checkRules() }
        bad.backlog = 65536
        #expect(throws: ConfigurationRuleViolation.self) { try bad.checkRules() }
        var withMode = tcp
        withMode.mode = 0o600
        #expect(throws: ConfigurationRuleViolation.invalidValue(["mode"], "applies only to a unix socket, but the address is 127.0.0.1:80",
                                                                fix: "remove mode, or listen on unix:/path")) { try withMode.checkRules() }
        var unix = ListenerConfiguration(address: .unix(path: "/run/x.sock"), mode: 0o1777)
        #expect(throws: ConfigurationRuleViolation.self) { try unix.checkRules() }
        unix.mode = 0o600
        try unix.checkRules()
        #expect(ListenerConfiguration(address: .unix(path: "/run/x.sock")).effectiveMode == 0o660)
        let hostName = ListenerConfiguration(address: .tcp(host: "localhost", port: 1))
        #expect(throws: ConfigurationRuleViolation.self) { try hostName.checkRules() }
    }

    @Test func aServiceNamesOnlyDeclaredListeners() {
        let configuration = ManagerConfiguration(services: ["web": ServiceConfiguration(workers: 1, listeners: ["http", "admin"])],
                                                 listeners: ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))])
        #expect(throws: ConfigurationRuleViolation.invalidValue(["services", "web", "listeners"], "unknown listener 'admin': the listeners are http",
                                                                fix: "declare it under listeners or remove it from the service")) {
            try ManagerConfiguration.checkListenerRules(listeners: configuration.listeners, services: configuration.services, declared: [])
        }
    }

    @Test("the first unknown listener reported is that of the first service by name, and a listener declared elsewhere (in code) is known")
    func listenerRulesAreInNameOrder() {
        let http = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))
        let services = Dictionary(uniqueKeysWithValues: (0..<20).map { ("s\($0)", ServiceConfiguration(workers: 1, listeners: ["x\($0)"])) })
        #expect(throws: ConfigurationRuleViolation.invalidValue(["services", "s0", "listeners"], "unknown listener 'x0': the listeners are http",
                                                                fix: "declare it under listeners or remove it from the service")) {
            try ManagerConfiguration.checkListenerRules(listeners: ["http": http], services: services, declared: [])
        }
        #expect(throws: Never.self) {
            try ManagerConfiguration.checkListenerRules(listeners: ["http": http], services: ["web": ServiceConfiguration(workers: 1, listeners: ["admin"])],
                                                        declared: ["admin"])
        }
    }

    @Test("two listeners at the same address are refused, but several on port 0")
    func twoListenersAtOneAddressAreRefused() throws {
        let services: [String: ServiceConfiguration] = [:]
        #expect(throws: ConfigurationRuleViolation.invalidValue(["listeners", "web", "address"], "127.0.0.1:8080 is also the address of listener 'http'",
                                                                fix: "give each listener its own address; one listener can serve several services")) {
            try ManagerConfiguration.checkListenerRules(listeners: ["http": try ListenerConfiguration(parsing: "127.0.0.1:8080"),
                                                                    "web": try ListenerConfiguration(parsing: "127.0.0.1:8080")],
                                                        services: services, declared: nil)
        }
        #expect(throws: ConfigurationRuleViolation.self) {
            try ManagerConfiguration.checkListenerRules(listeners: ["a": try ListenerConfiguration(parsing: "unix:/run/x.sock"),
                                                                    "b": try ListenerConfiguration(parsing: "unix:/run/x.sock")],
                                                        services: services, declared: nil)
        }
        try ManagerConfiguration.checkListenerRules(listeners: ["a": try ListenerConfiguration(parsing: "127.0.0.1:0"),
                                                                "b": try ListenerConfiguration(parsing: "127.0.0.1:0"),
                                                                "c": try ListenerConfiguration(parsing: "127.0.0.2:8080"),
                                                                "d": try ListenerConfiguration(parsing: "127.0.0.1:8080")],
                                                    services: services, declared: nil)
    }

    @Test func aWorkerKeepsOnlyItsServicesListeners() {
        let all = Listeners(all: [.init(name: "http", descriptor: 3), .init(name: "admin", descriptor: 4), .init(name: "metrics", descriptor: 5)])
        #expect(all.only(nil).all == all.all)
        #expect(all.only(["admin"]).all == [.init(name: "admin", descriptor: 4)])
        #expect(WorkerProcess.descriptors(listeners: all.only(["http"])) == (4, 5), "pipes right after the highest listener kept")
        #expect(all.only([]).all.isEmpty)
    }

    @Test func listenerErrorsNameTheFix() {
        let error = ListenerError.systemCall("bind", .addressInUse, name: "http", address: .tcp(host: "127.0.0.1", port: 80))
        #expect(error.description == "listener \"http\" (127.0.0.1:80): bind: \(Errno.addressInUse) — another process listens on this port: stop it or choose another port")
        #expect(ListenerError.directory(of: "/run/x.sock") == "/run")
        #expect(ListenerError.directory(of: "/x.sock") == "/")
    }
}
