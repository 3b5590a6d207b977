import Foundation
import Logging
import SystemPackage
import Testing
@testable import Cotyledon

/// The master's listener table with real sockets, in-process (no fork): what a reload
/// opens, keeps and closes, and that a reload that fails changes nothing.
@Suite struct ListenerTableTests {
    private let logger = Logger(label: "listener-table-tests") { _ in SwiftLogNoOpLogHandler() }

    /// A directory of its own for unix sockets, removed by `body`'s end.
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "cotyledon-listeners-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    private static func mode(of path: String) throws -> UInt32 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? NSNumber).uint32Value & 0o777
    }

    /// A TCP port some other socket listens on, held until the returned socket closes.
    private static func busyPort() throws -> (socket: ListenerSocket, port: Int) {
        let socket = try ListenerSocket.open("busy", ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0)))
        let port = try #require(socket.boundAddress.split(separator: ":").last.flatMap { Int($0) })
        return (socket, port)
    }

    @Test("a reload whose new listener cannot open fails whole: the kept unix socket keeps its mode, nothing opened stays open, the table is unchanged")
    func failedReloadChangesNothing() throws {
        try withDirectory { directory in
            let path = directory + "/http.sock"
            let declared = ["http": ListenerConfiguration(address: .unix(path: path), mode: 0o660),
                            "api": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))]
            let table = try ListenerTable(systemd: .none, declared: declared, declaredInCode: [:], logger: logger)
            defer { table.closeAll() }
            let before = table.listeners
            #expect(Set(before.all.map(\.name)) == ["http", "api"])
            #expect(try Self.mode(of: path) == 0o660)

            let busy = try Self.busyPort()
            defer { busy.socket.close(removingFile: false) }
            var reloaded = declared
            reloaded["http"]?.mode = 0o600
            reloaded["taken"] = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: busy.port))
            #expect(throws: ListenerError.self) { _ = try table.prepare(reloaded, logger: logger) }
            #expect(try Self.mode(of: path) == 0o660, "the kept socket's mode is unchanged: the failed open came before any update")
            #expect(table.listeners.all == before.all)

            // The same change without the busy port goes through: the socket is kept, its mode changed.
            reloaded["taken"] = nil
            let reload = try table.prepare(reloaded, logger: logger)
            table.commit(reload, logger: logger)
            #expect(try Self.mode(of: path) == 0o600)
            #expect(table.listeners.all == before.all, "kept at the same descriptors")
        }
    }

    /// How many connections a unix listener at `path` queues before a non-blocking
    /// `connect` fails with `EAGAIN` (its backlog + 1); each is closed afterwards.
    private static func queuedConnections(at path: String) throws -> Int {
        var clients: [Int32] = []
        defer { for client in clients { Glibc.close(client) } }
        while clients.count < 64 {
            let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { bytes in
                for (index, byte) in path.utf8.enumerated() { bytes[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            let error = errno
            clients.append(client)
            guard connected == 0 else {
                try #require(error == EAGAIN, "connect: \(String(cString: strerror(error)))")
                return clients.count - 1
            }
        }
        return clients.count
    }

    @Test("a kept listener whose chmod fails leaves its backlog unchanged, and the mode applied to the kept listener before it is undone")
    func failedUpdateIsUndone() throws {
        try withDirectory { directory in
            let a = directory + "/a.sock", b = directory + "/b.sock", moved = directory + "/b-moved.sock"
            let declared = ["a": ListenerConfiguration(address: .unix(path: a), backlog: 1, mode: 0o660),
                            "b": ListenerConfiguration(address: .unix(path: b), backlog: 1, mode: 0o660)]
            let table = try ListenerTable(systemd: .none, declared: declared, declaredInCode: [:], logger: logger)
            defer { table.closeAll() }
            #expect(try Self.queuedConnections(at: a) == 2, "backlog 1 queues 2")
            // b's socket stays reachable at another name, but chmod of its path fails.
            #expect(rename(b, moved) == 0)
            let reloaded = ["a": ListenerConfiguration(address: .unix(path: a), backlog: 1, mode: 0o600),
                            "b": ListenerConfiguration(address: .unix(path: b), backlog: 4, mode: 0o600)]
            #expect(throws: ListenerError.self) { _ = try table.prepare(reloaded, logger: logger) }
            #expect(try Self.mode(of: a) == 0o660, "a's mode applied before b failed is undone")
            #expect(try Self.queuedConnections(at: moved) == 2, "b's backlog is unchanged")
        }
    }

    @Test("a listener renamed at the same address keeps its socket under the new name; a reload onto a port of the daemon's own explains why it cannot open")
    func renamedListenerKeepsItsSocket() throws {
        try withDirectory { directory in
            let path = directory + "/admin.sock"
            let http = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))
            let table = try ListenerTable(systemd: .none, declared: ["admin": ListenerConfiguration(address: .unix(path: path)), "http": http],
                                          declaredInCode: [:], logger: logger)
            defer { table.closeAll() }
            let admin = try #require(table.listeners["admin"].first)
            let reload = try table.prepare(["control": ListenerConfiguration(address: .unix(path: path)), "http": http], logger: logger)
            table.commit(reload, logger: logger)
            #expect(table.listeners["control"].first?.descriptor == admin.descriptor, "kept, not reopened: \(table.listeners.all)")
            #expect(table.listeners["admin"].isEmpty)
            #expect(FileManager.default.fileExists(atPath: path), "the renamed listener's file stays")

            let port = try Syscall.boundPort(of: FileDescriptor(rawValue: try #require(table.listeners["http"].first).descriptor))
            let error = try #require(throws: ListenerError.self) {
                _ = try table.prepare(["control": ListenerConfiguration(address: .unix(path: path)),
                                       "http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: port))], logger: logger)
            }
            #expect(error.fix.contains("this daemon's listener \"http\" listens on 127.0.0.1:\(port)")
                        && error.fix.contains("in two reloads through another port, or restart"), "\(error)")
        }
    }

    @Test("a moved listener is opened at a new descriptor before the old one closes; a removed one closes; its unix file is removed")
    func movedAndRemovedListeners() throws {
        try withDirectory { directory in
            let path = directory + "/admin.sock"
            let declared = ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0)),
                            "admin": ListenerConfiguration(address: .unix(path: path))]
            let table = try ListenerTable(systemd: .none, declared: declared, declaredInCode: [:], logger: logger)
            defer { table.closeAll() }
            let old = try #require(table.listeners["http"].first)

            let reload = try table.prepare(["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0), backlog: 16)],
                                           logger: logger)
            // Prepared, not committed: the running listeners are all still open.
            #expect(table.listeners["http"] == [old])
            #expect(FileManager.default.fileExists(atPath: path))
            table.commit(reload, logger: logger)
            // Same address text (port 0), so the socket is kept and only its backlog changes.
            #expect(table.listeners["http"] == [old])
            #expect(table.listeners["admin"].isEmpty)
            #expect(!FileManager.default.fileExists(atPath: path), "the removed unix listener's file is gone")

            let busy = try Self.busyPort()
            busy.socket.close(removingFile: false) // a port that was free a moment ago
            let moved = try table.prepare(["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: busy.port))],
                                          logger: logger)
            table.commit(moved, logger: logger)
            let new = try #require(table.listeners["http"].first)
            #expect(new.descriptor != old.descriptor, "opened while the old socket was still open")
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { Glibc.close(client) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(busy.port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0, "the moved listener takes connections on its new port")
        }
    }

    @Test("an IPv6 listener binds [::1] only (IPV6_V6ONLY) and logs its real port",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/net/if_inet6"), "this kernel has no IPv6"))
    func ipv6Listener() throws {
        let socket = try ListenerSocket.open("v6", ListenerConfiguration(address: .tcp(host: "::1", port: 0)))
        defer { socket.close(removingFile: false) }
        #expect(socket.boundAddress.hasPrefix("[::1]:"))
        #expect(!socket.boundAddress.hasSuffix(":0"), "the port the kernel chose: \(socket.boundAddress)")
        var only: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(socket.descriptor.rawValue, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &only, &length) == 0)
        #expect(only == 1)
    }
}
