import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ControlSocketTests {
    /// A thousand clients at once: the daemon caps the clients it serves, answers the others
    /// `busy` (or drops them), and keeps supervising meanwhile.
    @Suite
    struct Flood {
        @Test("1000 concurrent connections: some served, the rest busy or dropped, none left hanging; a worker SIGKILLed meanwhile is respawned",
              .timeLimit(.minutes(1)))
        func thousandConnections() throws {
            try Self.ensureDescriptors(1200)
            let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2))
            defer { controlled.driver.close() }
            let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)
            let victim = try #require(demo.liveWorkers()[0])

            var clients: [UnixStreamClient] = []
            var connectFailures: [String] = []
            var mark = 0
            var killedAt = 0.0
            let request = Array((#"{"v":1,"command":"status"}"# + "\n").utf8)
            for index in 0..<1000 {
                if index == 500 {
                    mark = demo.cursor
                    killedAt = try driver.signal(victim, SIGKILL)
                }
                do {
                    let client = try UnixStreamClient(path: socket.path, timeout: .seconds(5))
                    try client.send(bytes: request)
                    clients.append(client)
                } catch let error as UnixStreamClient.ConnectError {
                    connectFailures.append(error.description)
                }
            }
            // Supervision went on during the flood (the connections are all still open).
            let respawn = try demo.waitForEvent("worker-started", from: mark, timeout: .seconds(5)) { $0.worker == 0 }
            #expect(respawn.fields["respawn"] == "true", "\(respawn)")
            let latency = (respawn.mono ?? .infinity) - killedAt
            #expect(latency < 2, "respawned \(latency) s after the SIGKILL")

            let outcomes = try UnixStreamClient.readAll(clients, timeout: .seconds(20))
            var served = 0
            var busy = 0
            var closed = 0
            var other: [String] = []
            var busyClients: [UnixStreamClient] = []
            for (client, outcome) in zip(clients, outcomes) {
                switch outcome {
                case .line(let text):
                    let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                    if object?["ok"] as? Bool == true && object?["pid"] as? Int == Int(demo.pid) {
                        served += 1
                    } else if object?["code"] as? String == "busy" {
                        busy += 1
                        busyClients.append(client)
                    } else {
                        other.append(text)
                    }
                case .closed: closed += 1
                case .nothing: other.append("no answer and still open")
                }
            }
            let summary = "\(served) served, \(busy) busy, \(closed) dropped, \(connectFailures.count) not connected, \(other.count) other"
            #expect(served >= 1 && busy >= 1, "\(summary)")
            #expect(served <= 64, "more clients served at once than the cap: \(summary)")
            #expect(other.isEmpty, "\(summary): \(other.prefix(5))")
            #expect(served + busy + closed + connectFailures.count == 1000, "\(summary)")
            let afterBusy = try UnixStreamClient.readAll(busyClients, timeout: .seconds(5))
            #expect(afterBusy.allSatisfy { $0 == .closed }, "closed after busy: \(afterBusy.filter { $0 != .closed }.prefix(5))")
            busyClients.removeAll()
            for client in clients { client.close() }
            clients.removeAll()

            let after = try driver.control(socket: socket.path, ["--json", "status"])
            try DaemonSuite.ControlSocketTests.expectStatus(after, matches: demo, driver: driver, count: 2)
            #expect(after.workerPids(of: "printer")[0] == respawn.subjectPid, "\(after)")
            try demo.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }

        /// Raises this process's soft descriptor limit to at least `count` (up to the hard limit).
        static func ensureDescriptors(_ count: Int) throws {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            guard limit.rlim_cur < rlim_t(count) else { return }
            limit.rlim_cur = min(rlim_t(count), limit.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            guard limit.rlim_cur >= rlim_t(count) else {
                throw DriverError("needs \(count) file descriptors, the hard limit is \(limit.rlim_max)")
            }
        }
    }
}
