import CotyledonControlProtocol
import Glibc
import Logging
import Testing
@testable import Cotyledon

/// The control server in the test process, driven by hand as the master's loop drives it,
/// with a stand-in for the master: no daemon, no fork.
@Suite struct ControlServerTests {
    /// Stands in for the master: records the commands and answers as told.
    final class Performer: ControlCommandPerformer {
        var isStopping = false
        let logger = Logger(label: "control-server-tests")
        var performed: [ControlCommand] = []
        /// How each command is answered.
        var outcome: (ControlCommand) -> ControlOutcome = { _ in .reply(.ok) }

        func perform(_ command: ControlCommand) -> ControlOutcome {
            performed.append(command)
            return outcome(command)
        }
    }

    /// A server on a fresh socket, its epoll instance and one connected client.
    final class Harness {
        let performer = Performer()
        var events: EventPoll
        let server: ControlServer
        let client: Int32

        init() throws {
            let directory = "/tmp/cotyledon-control-unit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            events = try EventPoll()
            server = try ControlServer(path: "\(directory)/control.sock", events: events, performer: performer)
            client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(server.socket.path.utf8)) }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(client >= 0 && connected == 0, "connect: \(String(cString: strerror(errno)))")
        }

        deinit {
            close(client)
            server.remove()
            rmdir(String(server.socket.path.dropLast("/control.sock".count)))
        }

        /// One turn of the loop as the master runs it: ready descriptors, then due deadlines.
        func turn() throws {
            for event in try events.wait(timeout: 20) {
                if event.token == ControlServer.listenerToken {
                    server.acceptClients()
                } else if event.token >= ControlServer.clientTokenBase {
                    server.serviceClient(token: event.token, events: event.events)
                }
            }
            server.serviceClients(now: .now)
        }

        /// Sends `request` and a line feed.
        func send(_ request: String) {
            let bytes = Array((request + "\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, 0) }
        }

        /// The answer lines that arrive within `turns` turns of the loop.
        func answers(turns: Int = 10) throws -> [String] {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            for _ in 0..<turns {
                try turn()
                let count = recv(client, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0 { received += buffer.prefix(count) }
            }
            return received.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test("a request is performed and answered with its reply", .timeLimit(.minutes(1)))
    func aRequestIsPerformed() throws {
        let harness = try Harness()
        harness.performer.outcome = { _ in .reply(.scaled(workers: 3)) }
        harness.send(#"{"v":1,"command":"scale","service":"printer","workers":3}"#)
        #expect(try harness.answers() == [#"{"ok":true,"v":1,"workers":3}"#])
        #expect(harness.performer.performed == [.scale(service: "printer", workers: 3)])
    }

    @Test("a request that cannot be read is refused without reaching the master", .timeLimit(.minutes(1)))
    func aBadRequestIsRefused() throws {
        let harness = try Harness()
        harness.send(#"{"v":1,"command":"dance"}"#)
        harness.send(#"{"v":1,"command":"scale","service":"printer"}"#)
        #expect(try harness.answers() == [
            #"{"code":"unknown-command","error":"unknown command \"dance\": use status, metrics, scale, reload, upgrade, stop, restart or log-level","ok":false,"v":1}"#,
            #"{"code":"bad-request","error":"scale needs \"workers\"","ok":false,"v":1}"#,
        ])
        #expect(harness.performer.performed.isEmpty)
    }

    @Test("while the daemon stops, changes are refused and status still answered", .timeLimit(.minutes(1)))
    func changesAreRefusedWhileStopping() throws {
        let harness = try Harness()
        harness.performer.isStopping = true
        harness.send(#"{"v":1,"command":"reload"}"#)
        harness.send(#"{"v":1,"command":"status"}"#)
        #expect(try harness.answers() == [#"{"code":"stopping","error":"the daemon is stopping","ok":false,"v":1}"#, #"{"ok":true,"v":1}"#])
        #expect(harness.performer.performed == [.status])
    }

    @Test("reload --wait is answered when the reload ends", .timeLimit(.minutes(1)))
    func reloadWaitIsAnsweredWhenTheReloadEnds() throws {
        let harness = try Harness()
        harness.performer.outcome = { _ in .replyWhenReloadEnds }
        harness.send(#"{"v":1,"command":"reload","wait":true}"#)
        #expect(try harness.answers().isEmpty)
        #expect(harness.server.nextDeadline == nil, "no idle deadline while the reload is awaited")
        harness.server.answerWaiters(for: .reload, failure: "a roll was aborted")
        #expect(try harness.answers() == [#"{"code":"reload-failed","error":"a roll was aborted","ok":false,"v":1}"#])
    }

    @Test("reload --wait whose reload ended while performed is answered at once", .timeLimit(.minutes(1)))
    func reloadWaitEndedAtOnce() throws {
        let harness = try Harness()
        harness.performer.outcome = { [unowned server = harness.server] _ in
            server.answerWaiters(for: .reload, failure: nil)
            return .replyWhenReloadEnds
        }
        harness.send(#"{"v":1,"command":"reload","wait":true}"#)
        harness.send(#"{"v":1,"command":"reload","wait":true}"#)
        #expect(try harness.answers() == [#"{"ok":true,"v":1}"#, #"{"ok":true,"v":1}"#])
    }

    @Test("upgrade --wait is answered by the upgrade's outcome, not a reload's; the handover names its client", .timeLimit(.minutes(1)))
    func upgradeWaitIsAnsweredWhenTheUpgradeEnds() throws {
        let harness = try Harness()
        harness.performer.outcome = { command in
            if case .upgrade = command { return .replyWhenUpgradeEnds }
            return .replyWhenReloadEnds
        }
        harness.send(#"{"v":1,"command":"upgrade","wait":true}"#)
        #expect(try harness.answers().isEmpty)
        #expect(harness.server.nextDeadline == nil, "no idle deadline while the upgrade is awaited")
        #expect(harness.server.upgradeHandover.waitingClients.count == 1, "the waiting client crosses the execve")
        harness.server.answerWaiters(for: .reload, failure: nil)
        #expect(try harness.answers().isEmpty, "a reload's end does not answer an upgrade")
        harness.server.answerWaiters(for: .upgrade, failure: "the check of /x exited with status 1: bad")
        #expect(try harness.answers() == [#"{"code":"upgrade-failed","error":"the check of /x exited with status 1: bad","ok":false,"v":1}"#])
        #expect(harness.server.upgradeHandover.waitingClients.isEmpty)
    }

    @Test("an upgrade refused at once is answered at once and awaits nothing", .timeLimit(.minutes(1)))
    func aRefusedUpgradeIsAnsweredAtOnce() throws {
        let harness = try Harness()
        harness.performer.outcome = { _ in .reply(.failure(ControlError(.upgradeFailed, "a reload is in progress; upgrade when it completes"))) }
        harness.send(#"{"v":1,"command":"upgrade","wait":true}"#)
        #expect(try harness.answers() == [#"{"code":"upgrade-failed","error":"a reload is in progress; upgrade when it completes","ok":false,"v":1}"#])
        #expect(harness.server.upgradeHandover.waitingClients.isEmpty)
    }

    @Test("an idle client is closed at its deadline", .timeLimit(.minutes(1)))
    func anIdleClientIsClosed() throws {
        let harness = try Harness()
        try harness.turn()
        let deadline = try #require(harness.server.nextDeadline)
        harness.server.serviceClients(now: deadline)
        #expect(harness.server.nextDeadline == nil)
        var byte: UInt8 = 0
        #expect(recv(harness.client, &byte, 1, 0) == 0, "end of file")
    }
}
