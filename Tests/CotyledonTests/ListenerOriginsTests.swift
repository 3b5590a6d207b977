import Testing
@testable import Cotyledon

/// Which socket each declared listener uses at start, as a rule on values: the passed
/// sockets and where they are bound are given, nothing is opened.
@Suite struct ListenerOriginsTests {
    typealias Listener = Listeners.Listener

    private static let http = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 8080))

    private static func origins(_ declared: [String: ListenerConfiguration], _ passed: [Listener],
                                bound: [Int32: BoundSocketAddress]) -> ListenerOrigins {
        ListenerOrigins(declared: declared, passed: Listeners(all: passed)) { bound[$0.descriptor] }
    }

    @Test func aStoredSocketBoundWhereTheListenerIsConfiguredIsUsed() {
        let stored = Listener(name: "cotyledon.store.http", descriptor: 3)
        let origins = Self.origins(["http": Self.http, "api": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 9090))],
                                   [stored], bound: [3: .tcp(host: "127.0.0.1", port: 8080)])
        #expect(origins.fromStore == ["http": stored])
        #expect(origins.toOpen == ["api"])
        #expect(origins.dropped.isEmpty)
        #expect(origins.socketUnits.all.isEmpty, "a stored socket never reaches workers under the store's name")
    }

    @Test func aSocketUnitComesBeforeTheStoreWhichComesBeforeTheConfiguration() {
        let unit = Listener(name: "http", descriptor: 3)
        let stored = Listener(name: "cotyledon.store.http", descriptor: 4)
        let origins = Self.origins(["http": Self.http], [unit, stored],
                                   bound: [3: .tcp(host: "127.0.0.1", port: 8080), 4: .tcp(host: "127.0.0.1", port: 8080)])
        #expect(origins.fromSocketUnits == ["http": unit])
        #expect(origins.fromStore.isEmpty)
        #expect(origins.toOpen.isEmpty)
        #expect(origins.socketUnits.all == [unit])
        #expect(origins.dropped.map(\.socket) == [stored])
        #expect(origins.dropped.first?.reason.contains("socket unit") == true, "\(origins.dropped)")
    }

    @Test func storedSocketsThatDoNotFitAreDroppedWithTheirReason() {
        let moved = Listener(name: "cotyledon.store.http", descriptor: 3)
        let undeclared = Listener(name: "cotyledon.store.gone", descriptor: 4)
        let notListening = Listener(name: "cotyledon.store.api", descriptor: 5)
        let origins = Self.origins(["http": Self.http, "api": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 9090))],
                                   [moved, undeclared, notListening],
                                   bound: [3: .tcp(host: "127.0.0.1", port: 8081), 4: .tcp(host: "127.0.0.1", port: 1)])
        #expect(origins.fromStore.isEmpty)
        #expect(origins.toOpen == ["api", "http"])
        #expect(origins.dropped.map(\.socket) == [moved, undeclared, notListening])
        #expect(origins.dropped.map(\.reason) == [
            "it is bound to 127.0.0.1:8081, not 127.0.0.1:8080 as configured",
            "no listener named gone is declared",
            "it is not a listening stream socket",
        ])
    }

    @Test func aSecondStoredSocketOfTheSameNameIsDropped() {
        let first = Listener(name: "cotyledon.store.http", descriptor: 3)
        let second = Listener(name: "cotyledon.store.http", descriptor: 4)
        let origins = Self.origins(["http": Self.http], [first, second],
                                   bound: [3: .tcp(host: "127.0.0.1", port: 8080), 4: .tcp(host: "127.0.0.1", port: 8080)])
        #expect(origins.fromStore == ["http": first])
        #expect(origins.dropped.map(\.socket) == [second])
    }

    @Test func tcpAddressesMatchByIPAndPortAnyPortForPortZero() {
        let mismatch = ListenerOrigins.mismatch
        #expect(mismatch(.tcp(host: "127.0.0.1", port: 8080), .tcp(host: "127.0.0.1", port: 8080)) == nil)
        #expect(mismatch(.tcp(host: "127.0.0.1", port: 0), .tcp(host: "127.0.0.1", port: 41234)) == nil)
        #expect(mismatch(.tcp(host: "0:0::1", port: 80), .tcp(host: "::1", port: 80)) == nil, "IPv6 compared in canonical form")
        #expect(mismatch(.tcp(host: "127.0.0.1", port: 8080), .tcp(host: "127.0.0.2", port: 8080)) != nil)
        #expect(mismatch(.tcp(host: "0.0.0.0", port: 0), .tcp(host: "127.0.0.1", port: 80)) != nil)
        #expect(mismatch(.tcp(host: "::", port: 80), .tcp(host: "0.0.0.0", port: 80)) != nil)
        #expect(mismatch(.tcp(host: "127.0.0.1", port: 80), .unix(path: "/run/a.sock")) != nil)
    }

    @Test func unixAddressesMatchByPathOrTheTemporaryNameTheMasterBoundAt() throws {
        let mismatch = ListenerOrigins.mismatch
        #expect(mismatch(.unix(path: "/run/app/http.sock"), .unix(path: "/run/app/http.sock")) == nil)
        let temporary = try #require(ListenerSocket.temporaryPath(for: "/run/app/http.sock", pid: 4321))
        #expect(temporary == "/run/app/http.sock.4321.tmp")
        #expect(mismatch(.unix(path: "/run/app/http.sock"), .unix(path: temporary)) == nil)
        #expect(mismatch(.unix(path: "/run/app/api.sock"), .unix(path: temporary)) != nil)
        #expect(mismatch(.unix(path: "/run/app/http.sock"), .unix(path: "/run/app/http.sock.x.tmp")) != nil)
        #expect(mismatch(.unix(path: "/run/app/http.sock"), .unix(path: "/run/other/http.sock")) != nil)
        #expect(mismatch(.unix(path: "/run/app/http.sock"), .other("abstract unix address")) != nil)
        // A long path is shortened in its temporary name, which still matches.
        let long = "/run/" + String(repeating: "a", count: 100)
        let shortened = try #require(ListenerSocket.temporaryPath(for: long, pid: 99999))
        #expect(shortened.utf8.count <= ListenerConfiguration.maximumUnixPathLength)
        #expect(mismatch(.unix(path: long), .unix(path: shortened)) == nil)
    }

    @Test func storeNamesAreTheListenersPrefixed() {
        #expect(FileDescriptorStoreName.of(listener: "http") == "cotyledon.store.http")
        #expect(FileDescriptorStoreName.listener(in: "cotyledon.store.http") == "http")
        #expect(FileDescriptorStoreName.listener(in: "http") == nil)
    }
}
