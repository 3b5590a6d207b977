import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// The daemons of the `Examples/` package (a package of its own that uses the library as a
    /// user's package would), built by `swift build --package-path Examples`.
    @Suite
    struct ExampleTests {
        @Test("http-daemon --reuse-port: 4 workers each bind the port with SO_REUSEPORT and all serve 2000 one-connection requests; SIGHUP: the master re-reads the settings and the workers take them in place, a broken file changes nothing; SIGTERM drains a request in flight",
              .timeLimit(.minutes(3)))
        func httpDaemon() throws {
            let binary = try ExampleProducts.path(of: "http-daemon")
            let port = try ReservedPort()
            let settings = NSTemporaryDirectory() + "cotyledon-http-settings-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
            try #"{"greeting": "Hello"}"#.write(toFile: settings, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: settings) }
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn(
                path: binary,
                argv: ["http-daemon", "--reuse-port", "--port", "\(port.number)", "--workers", "4", "--settings", settings])
            let serving = try daemon.waitForEvents("http-serving", count: 4, timeout: .seconds(30))
            _ = try daemon.waitForEvents("all-ready", count: 1)
            port.release()
            let workerPids = Set(serving.map(\.pid))
            #expect(workerPids.count == 4, "four workers, each serving: \(serving)")

            // One connection per request, so that the kernel picks a worker for each.
            var servedBy: [Int32: Int] = [:]
            var failures: [String] = []
            for _ in 0..<2000 {
                do {
                    let response = try LoopbackHTTPClient.get(port: port.number, path: "/")
                    guard response.status == 200, let pid = response.headers["x-worker-pid"].flatMap({ Int32($0) }),
                          response.body.hasPrefix("Hello from http worker("), response.body.contains("pid \(pid)")
                    else {
                        failures.append("unexpected answer: \(response.status) \(response.headers) \(response.body)")
                        continue
                    }
                    servedBy[pid, default: 0] += 1
                } catch {
                    failures.append("\(error)")
                }
            }
            #expect(failures.isEmpty, "\(failures.count) of 2000 requests failed, e.g. \(failures.prefix(3))")
            #expect(servedBy.values.reduce(0, +) == 2000)
            #expect(Set(servedBy.keys) == workerPids, "every worker served (requests per pid: \(servedBy))")
            for path in ["/slow?ms=x", "/slow?ms=60001", "/slow?ms="] {
                let refused = try LoopbackHTTPClient.get(port: port.number, path: path)
                #expect(refused.status == 400 && refused.body.contains("?ms=N"), "\(path): \(refused)")
            }

            // The master re-reads the settings on reload; every worker takes them and keeps its pid.
            try #"{"greeting": "Bonjour"}"#.write(toFile: settings, atomically: true, encoding: .utf8)
            let reloadMark = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let reloaded = try daemon.waitForEvents("settings-reloaded", count: 4, from: reloadMark)
            #expect(Set(reloaded.map(\.pid)) == workerPids)
            #expect(reloaded.allSatisfy { $0.fields["greeting"] == "Bonjour" })
            for _ in 0..<20 {
                let response = try LoopbackHTTPClient.get(port: port.number, path: "/")
                #expect(response.body.hasPrefix("Bonjour from http worker("), "after the reload: \(response.body)")
            }
            #expect(daemon.events("worker-exited").isEmpty, "the reload was in place:\n\(daemon.tail)")

            // A broken file fails the reload in the master: no worker sees it, all keep the last good settings.
            try #"{"greeting": 42}"#.write(toFile: settings, atomically: true, encoding: .utf8)
            let badMark = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            _ = try daemon.waitForEvent("reload-failed", from: badMark)
            let kept = try LoopbackHTTPClient.get(port: port.number, path: "/")
            #expect(kept.body.hasPrefix("Bonjour from http worker("), "after the failed reload: \(kept.body)")
            #expect(daemon.events("settings-reloaded").filter { $0.index >= badMark }.isEmpty)

            // SIGTERM while a slow request is in flight: its worker answers it, then exits.
            let slowMark = daemon.cursor
            let slow = BackgroundRequest(port: port.number, path: "/slow", timeout: .seconds(20))
            let started = try daemon.waitForEvent("slow-request", from: slowMark)
            let (signalled, _) = try daemon.stopAndExpectCleanExit(timeout: .seconds(30))
            let answer = try slow.response(timeout: .seconds(10))
            #expect(answer.status == 200, "the request in flight was answered: \(answer)")
            #expect(answer.headers["x-worker-pid"] == "\(started.pid)")
            #expect(answer.body.contains("2000 ms later"))
            #expect(answer.receivedAt > signalled, "the answer came after SIGTERM, during the drain")
            let exited = try #require(daemon.events("worker-exited").first { $0.subjectPid == started.pid })
            #expect(exited.fields["status"] == "exited:0")
            if let exitedAt = exited.mono, let startedAt = started.mono {
                #expect(exitedAt - startedAt >= 1.9, "the draining worker stayed until its answer was sent")
            }
            let draining = daemon.events("http-draining").map(\.pid)
            #expect(Set(draining) == workerPids, "every worker drained: \(draining)")
            try driver.expectCleanEnd()
        }

        @Test("lifecycle-daemon: each worker's ServiceGroup runs; SIGHUP reloads in place; SIGTERM shuts the groups down gracefully",
              .timeLimit(.minutes(1)))
        func lifecycleDaemon() throws {
            let binary = try ExampleProducts.path(of: "lifecycle-daemon")
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn(path: binary, argv: ["lifecycle-daemon"])
            let ready = try daemon.waitForEvents("worker-ready", count: 2, timeout: .seconds(20))
            let workerPids = Set(ready.compactMap(\.subjectPid))
            #expect(workerPids.count == 2)

            let reloadMark = daemon.cursor
            try driver.signal(daemon.pid, SIGHUP)
            let reloaded = try daemon.waitForEvents("ticker-reloaded", count: 2, from: reloadMark)
            #expect(Set(reloaded.map(\.pid)) == workerPids, "the reload handler ran in both workers")

            let stopMark = daemon.cursor
            try daemon.stopAndExpectCleanExit()
            let stopped = daemon.events("ticker-stopped").filter { $0.index >= stopMark }
            #expect(Set(stopped.map(\.pid)) == workerPids,
                    "every worker's service group shut down gracefully (through Cotyledon's SIGTERM):\n\(daemon.tail)")
            let exits = daemon.events("worker-exited")
            #expect(exits.count == 2 && exits.allSatisfy { $0.fields["status"] == "exited:0" }, "\(exits)")
            try driver.expectCleanEnd()
        }

        @Test("printer-daemon: the README's first example runs two printers and stops on SIGTERM",
              .timeLimit(.minutes(1)))
        func printerDaemon() throws {
            let binary = try ExampleProducts.path(of: "printer-daemon")
            let driver = try Driver()
            defer { driver.close() }
            let daemon = try driver.spawn(path: binary, argv: ["printer-daemon"])
            // It logs with swift-log's default handler: its lines are text, not parsed events.
            let allReady = try daemon.waitForLine("event=all-ready", timeout: .seconds(20)) {
                $0.stream == "stderr" && $0.text.contains("event=all-ready")
            }
            _ = try daemon.waitForLine("Doing stuff") { $0.stream == "stdout" && $0.text == "Doing stuff" }
            #expect(try driver.ps().workerIDs(of: daemon.pid, service: "printer") == [0, 1],
                    "two printer workers after \(allReady)")

            try driver.signal(daemon.pid, SIGTERM)
            let exit = try daemon.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(0), "\(daemon.tail)")
            #expect(daemon.text(of: "stderr").contains("event=master-exit status=0"))
            try driver.expectCleanEnd()
        }
    }
}
