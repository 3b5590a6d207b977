import Foundation
import Logging
import SystemPackage
import Testing
@testable import Cotyledon

/// The listener table and systemd's file descriptor store, with real sockets in-process:
/// what it takes back at start and what it asks the store to hold or remove.
@Suite struct ListenerTableFileDescriptorStoreTests {
    private let logger = Logger(label: "listener-store-tests") { _ in SwiftLogNoOpLogHandler() }

    /// A listening socket on 127.0.0.1 at a port the kernel picks, as a previous master
    /// opened it, and its port.
    private static func previousSocket() throws -> (descriptor: Int32, port: Int) {
        let socket = try ListenerSocket.open("previous", ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0)))
        return (socket.descriptor.rawValue, try Syscall.boundPort(of: socket.descriptor))
    }

    @Test("a stored socket bound at the configured address is used under the listener's name and counts as stored")
    func aStoredSocketIsRestored() throws {
        let previous = try Self.previousSocket()
        let declared = ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: previous.port))]
        let table = try ListenerTable(systemd: Listeners(all: [.init(name: "cotyledon.store.http", descriptor: previous.descriptor)]),
                                      declared: declared, declaredInCode: [:], logger: logger)
        defer { table.closeAll() }
        #expect(table.listeners.all == [.init(name: "http", descriptor: previous.descriptor)])
        #expect(table.storeChanges(storing: true).isEmpty, "the store holds it already")
        #expect(table.storeChanges(storing: false) == [.remove(listener: "http", reason: "fd_store is off")])
        #expect(table.storeChanges(storing: false).isEmpty)
        #expect(table.storeChanges(storing: true) == [.store(listener: "http", descriptor: FileDescriptor(rawValue: previous.descriptor))])
    }

    @Test("a stored socket bound elsewhere is dropped and removed from the store; the listener is opened from the configuration")
    func aStoredSocketElsewhereIsDropped() throws {
        let previous = try Self.previousSocket()
        let declared = ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0)),
                        "api": ListenerConfiguration(address: .tcp(host: "127.0.0.2", port: 0))]
        let table = try ListenerTable(systemd: Listeners(all: [.init(name: "cotyledon.store.api", descriptor: previous.descriptor),
                                                               .init(name: "cotyledon.store.gone", descriptor: try Self.previousSocket().descriptor)]),
                                      declared: declared, declaredInCode: [:], logger: logger)
        defer { table.closeAll() }
        #expect(Set(table.listeners.all.map(\.name)) == ["http", "api"])
        let api = try #require(table.listeners["api"].first)
        #expect(try Syscall.boundAddress(of: FileDescriptor(rawValue: api.descriptor)).description.hasPrefix("127.0.0.2:"))
        let changes = table.storeChanges(storing: true)
        #expect(changes.prefix(2) == [.remove(listener: "api", reason: "it is bound to 127.0.0.1:\(previous.port), not 127.0.0.2:0 as configured"),
                                      .remove(listener: "gone", reason: "no listener named gone is declared")])
        #expect(Set(changes.dropFirst(2).map { "\($0)" }) == Set(["api", "http"].map { name in
            "\(ListenerTable.StoreChange.store(listener: name, descriptor: FileDescriptor(rawValue: table.listeners[name].first!.descriptor)))"
        }))
    }

    @Test("a reload that replaces a stored listener's socket removes it from the store and stores the new one; a removed listener is removed")
    func aReloadReplacesAndRemoves() throws {
        let declared = ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0)),
                        "api": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))]
        let table = try ListenerTable(systemd: .none, declared: declared, declaredInCode: [:], logger: logger)
        defer { table.closeAll() }
        let http = try #require(table.listeners["http"].first)
        let api = try #require(table.listeners["api"].first)
        #expect(table.storeChanges(storing: true) == [.store(listener: "api", descriptor: FileDescriptor(rawValue: api.descriptor)),
                                                      .store(listener: "http", descriptor: FileDescriptor(rawValue: http.descriptor))])
        #expect(table.storeChanges(storing: true).isEmpty, "nothing is stored twice")

        let reload = try table.prepare(["http": ListenerConfiguration(address: .tcp(host: "127.0.0.2", port: 0))], logger: logger)
        table.commit(reload, logger: logger)
        let moved = try #require(table.listeners["http"].first)
        #expect(moved.descriptor != http.descriptor)
        #expect(table.storeChanges(storing: true) == [.remove(listener: "api", reason: "the listener is no longer declared"),
                                                      .remove(listener: "http", reason: "the listener has a new socket"),
                                                      .store(listener: "http", descriptor: FileDescriptor(rawValue: moved.descriptor))])
    }

    @Test("a socket unit's socket is never stored, and a stored socket of its name is dropped")
    func socketUnitsAreNotStored() throws {
        let unit = try Self.previousSocket()
        let stored = try Self.previousSocket()
        let table = try ListenerTable(systemd: Listeners(all: [.init(name: "http", descriptor: unit.descriptor),
                                                               .init(name: "cotyledon.store.http", descriptor: stored.descriptor)]),
                                      declared: ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: stored.port))],
                                      declaredInCode: [:], logger: logger)
        defer {
            table.closeAll()
            Syscall.close(FileDescriptor(rawValue: unit.descriptor))
        }
        #expect(table.listeners.all == [.init(name: "http", descriptor: unit.descriptor)])
        let changes = table.storeChanges(storing: true)
        #expect(changes.count == 1)
        guard case .remove(listener: "http", let reason) = changes.first else {
            Issue.record("expected the stored socket's removal, got \(changes)")
            return
        }
        #expect(reason.contains("socket unit"), "\(reason)")
    }

    @Test("at exit a stored unix socket's file stays for the next start; one not stored is removed")
    func storedUnixFilesStayAtExit() throws {
        let directory = NSTemporaryDirectory() + "cotyledon-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let declared = ["kept": ListenerConfiguration(address: .unix(path: directory + "/kept.sock")),
                        "plain": ListenerConfiguration(address: .unix(path: directory + "/plain.sock"))]
        let stored = try ListenerTable(systemd: .none, declared: ["kept": declared["kept"]!], declaredInCode: [:], logger: logger)
        #expect(stored.storeChanges(storing: true).count == 1)
        let plain = try ListenerTable(systemd: .none, declared: ["plain": declared["plain"]!], declaredInCode: [:], logger: logger)
        stored.closeAll()
        plain.closeAll()
        #expect(FileManager.default.fileExists(atPath: directory + "/kept.sock"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/plain.sock"))
    }

    @Test("a stored unix socket comes back at its path although getsockname tells the temporary name it was bound at")
    func aStoredUnixSocketIsRestored() throws {
        let directory = NSTemporaryDirectory() + "cotyledon-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = ListenerConfiguration(address: .unix(path: directory + "/http.sock"), mode: 0o600)
        let previous = try ListenerSocket.open("http", ListenerConfiguration(address: .unix(path: directory + "/http.sock")))
        guard case .unix(let boundPath) = try Syscall.boundAddress(of: previous.descriptor) else {
            Issue.record("not a unix socket")
            return
        }
        #expect(boundPath.hasSuffix(".\(getpid()).tmp"))
        let table = try ListenerTable(systemd: Listeners(all: [.init(name: "cotyledon.store.http", descriptor: previous.descriptor.rawValue)]),
                                      declared: ["http": configuration], declaredInCode: [:], logger: logger)
        defer { table.closeAll() }
        #expect(table.listeners.all == [.init(name: "http", descriptor: previous.descriptor.rawValue)])
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/http.sock")
        #expect(try #require(attributes[.posixPermissions] as? NSNumber).uint32Value & 0o777 == 0o600, "the configured mode is applied")
    }
}

extension ListenerTableFileDescriptorStoreTests {
    @Test("after an upgrade the table knows which handed-over sockets the store holds: not stored again, removed when fd_store is off or the listener is dropped")
    func anAdoptedTableKnowsWhatIsStored() throws {
        let logger = Logger(label: "listener-store-tests") { _ in SwiftLogNoOpLogHandler() }
        let configuration = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))
        let http = try ListenerSocket.open("http", configuration)
        let api = try ListenerSocket.open("api", configuration)
        let adopted = [http, api].map { socket in
            ListenerSocket.adopt(socket.name, configuration, descriptor: socket.descriptor,
                                 bound: .tcp(host: "127.0.0.1", port: (try? Syscall.boundPort(of: socket.descriptor)) ?? 0),
                                 device: 0, inode: 0)
        }
        let table = ListenerTable(adopting: Listeners(all: []), sockets: adopted, stored: ["http", "api"], declaredInCode: [:])
        defer { table.closeAll() }
        #expect(table.isStored(adopted[0]) && table.isStored(adopted[1]))
        #expect(table.storeChanges(storing: true).isEmpty, "the store holds both already")
        // The new configuration drops api.
        let reload = try table.prepare(["http": configuration], logger: logger)
        table.commit(reload, logger: logger)
        #expect(table.storeChanges(storing: true) == [.remove(listener: "api", reason: "the listener is no longer declared")])
        #expect(table.storeChanges(storing: false) == [.remove(listener: "http", reason: "fd_store is off")])
    }
}
