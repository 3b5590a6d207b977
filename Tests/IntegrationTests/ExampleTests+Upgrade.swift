import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ExampleTests {
    @Test("http-daemon upgraded in place under keep-alive load: http-daemon-next renamed over its file, upgrade --wait exits 0; the same master pid, every worker new and running the new file and build, the old ones drained and exited 0, no request failed",
          .timeLimit(.minutes(5)), arguments: [Listening.master, .socketActivation])
    func httpDaemonUpgradeUnderKeepAliveLoad(listening: Listening) throws {
        try Self.upgradeUnderLoad(mode: .keepAlive, listening: listening)
    }

    @Test("http-daemon upgraded in place under one-connection-per-request load: http-daemon-next renamed over its file, upgrade --wait exits 0; the same master pid, every worker new and running the new file and build, the old ones drained and exited 0, no request failed",
          .timeLimit(.minutes(5)), arguments: [Listening.master, .socketActivation])
    func httpDaemonUpgradeUnderConnectionPerRequestLoad(listening: Listening) throws {
        try Self.upgradeUnderLoad(mode: .connectionPerRequest, listening: listening)
    }

    /// A deploy as an operator makes it, while 8 clients keep a request in flight: the daemon
    /// runs a copy of http-daemon started by its path; http-daemon-next (the same source as
    /// version 1.1.0-next) is renamed over that file; `cotyledonctl upgrade --wait`.
    private static func upgradeUnderLoad(mode: LoadClient.Mode, listening: Listening) throws {
        let driver = try Driver()
        defer { driver.close() }
        let deployed = driver.runtimeDirectory + "/http-daemon"
        try Deployment.install(copyOf: try ExampleProducts.path(of: "http-daemon"), at: deployed)
        let next = try ExampleProducts.path(of: "http-daemon-next")
        let controlSocket = driver.runtimeDirectory + "/http-control.sock"
        let arguments = ["--workers", "4", "--control-socket", controlSocket, "--graceful-timeout", "30"]
        let (daemon, port, _) = try startFourWorkers(driver: driver, path: deployed, listening: listening, arguments: arguments)
        let before = try driver.control(socket: controlSocket, ["--json", "status"])
        let oldWorkers = Set(before.workerPids(of: "http").values)
        try #require(oldWorkers.count == 4, "\(before)")
        #expect(before.build?.hasPrefix("1.0.0 (build ") == true, "the master runs the first build: \(before)")
        #expect(before.workerBuilds(of: "http").allSatisfy { $0?.hasPrefix("1.0.0 (build ") == true }, "\(before)")
        for pid in oldWorkers.union([daemon.pid]) {
            #expect(try ProcStatus.executable(of: pid) == deployed, "process \(pid) runs the deployed file")
        }

        let load = LoadClient(port: port, threads: 8, mode: mode)
        load.start()
        defer { _ = try? load.stop() }
        let steady = try load.waitForSuccesses(20, after: 0, timeout: .seconds(60))
        #expect(steady.failures.isEmpty, "\(steady)")

        // The deploy: the new build renamed over the file the daemon was started from. What
        // runs now runs an unlinked file, which is what the check after the upgrade tells apart.
        try Deployment.install(copyOf: next, at: deployed)
        for pid in oldWorkers.union([daemon.pid]) {
            #expect(try ProcStatus.executable(of: pid) == deployed + " (deleted)", "process \(pid) runs the replaced file")
        }

        let mark = daemon.cursor
        let started = load.snapshot
        let upgrade = try driver.control(socket: controlSocket, ["upgrade", "--wait", "--timeout", "240"],
                                         timeout: .seconds(250))
        #expect(upgrade.status == .exited(0), "\(upgrade)\n\(daemon.tail)")
        #expect(upgrade.stdout.contains("upgrade complete"), "\(upgrade)")
        let answered = load.snapshot
        let adopted = try daemon.waitForEvent("upgrade-adopted", from: mark, timeout: .seconds(10))
        #expect(adopted.pid == daemon.pid && adopted.fields["workers"] == "4", "the new image adopted the 4 workers: \(adopted)")
        let complete = try daemon.waitForEvent("upgrade-complete", from: mark, timeout: .seconds(10))
        #expect(complete.fields["build"]?.hasPrefix("1.1.0-next (build ") == true, "\(complete)")
        let serving = try daemon.waitForEvents("http-serving", count: 4, from: mark, timeout: .seconds(10))
        #expect(serving.allSatisfy { $0.fields["listener"] == "inherited" }, "the new workers serve the socket that crossed the exec: \(serving.map(\.text))")

        // Each old worker drained its connections and exited by itself.
        let isOld = { (line: LogLine) in line.subjectPid.map(oldWorkers.contains) == true }
        let exits = try daemon.waitForEvents("worker-exited", count: 4, from: mark, timeout: .seconds(60), where: isOld)
        #expect(exits.allSatisfy { $0.fields["status"] == "exited:0" }, "\(exits.map(\.text))")
        let drained = try daemon.waitForEvents("http-drained", count: 4, from: mark, timeout: .seconds(10)) {
            oldWorkers.contains($0.pid)
        }
        #expect(drained.allSatisfy { $0.fields["forced"] == "0" }, "no drain reached its deadline: \(drained.map(\.text))")

        // Requests go on, answered by the new workers only.
        let upgraded = load.snapshot
        let after = try load.waitForSuccesses(20, after: upgraded.successes, timeout: .seconds(60))
        let answeredAfter = Set(after.answeredBy.keys.filter { after.answeredBy[$0] != upgraded.answeredBy[$0] })
        #expect(!answeredAfter.isEmpty && answeredAfter.isDisjoint(with: oldWorkers), "answered after the upgrade by \(answeredAfter)")

        let status = try driver.control(socket: controlSocket, ["--json", "status"])
        #expect(status.json?["pid"] as? Int == Int(daemon.pid), "the master kept its pid: \(status)")
        #expect(status.build?.hasPrefix("1.1.0-next (build ") == true, "the master runs the new build: \(status)")
        let newWorkers = Set(status.workerPids(of: "http").values)
        #expect(newWorkers.count == 4 && newWorkers.isDisjoint(with: oldWorkers), "every worker is new: \(newWorkers) vs \(oldWorkers)")
        #expect(answeredAfter.isSubset(of: newWorkers), "\(answeredAfter) vs \(newWorkers)")
        let builds = status.workerBuilds(of: "http")
        #expect(builds.count == 4 && builds.allSatisfy { $0?.hasPrefix("1.1.0-next (build ") == true }, "\(status)")
        #expect(status.build != before.build && builds.allSatisfy { $0 == status.build }, "\(status)")
        for pid in newWorkers.union([daemon.pid]) {
            #expect(try ProcStatus.executable(of: pid) == deployed, "process \(pid) runs the new file")
        }

        let report = try load.stop()
        #expect(report.failures.isEmpty, "\(listening), \(mode.rawValue) load through the upgrade: \(report)\n\(daemon.tail)")
        if mode == .keepAlive {
            // Only a drain ends a keep-alive connection with Connection: close.
            #expect(report.closedByServer > 0, "the draining old workers ended keep-alive connections after an answer: \(report)")
        }
        try daemon.stopAndExpectCleanExit(timeout: .seconds(40))
        try driver.expectCleanEnd()
        print("http-daemon (\(listening)) upgraded under \(mode.rawValue) load: \(report); "
              + "\(answered.successes - started.successes) while upgrade --wait ran (\(String(format: "%.1f", upgrade.duration)) s), "
            + "\(after.successes - upgraded.successes) once the old workers were gone")
    }
}
