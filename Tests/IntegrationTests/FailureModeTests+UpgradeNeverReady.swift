import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FailureModeTests {
    @Test("an upgrade to a build whose workers never report ready: the roll is aborted at the readiness timeout, upgrade --wait exits 2 naming it, STATUS says the upgrade failed, the old workers are kept and serve on, no connection lost",
          .timeLimit(.minutes(3)))
    func upgradeToNeverReadyBuildKeepsOldWorkers() throws {
        let notify = try NotifySocket()
        let driver = try Driver()
        defer { driver.close() }
        let config = try ConfigurationFixture()
        // A short readiness timeout: the roll gives up on the first replacement after 2 s.
        try config.write("""
            listeners:
              http:
                address: 127.0.0.1:0
            services:
              answerer:
                workers: 2
                readiness_timeout: 2
                listeners: [http]
            """)
        // The daemon is started by a path of its own (a link to the fixture), as a deploy
        // would start it; the new build is then renamed over that path.
        let fixture = try BuildProducts.path(of: "cotyledon-fixture")
        let deployed = driver.runtimeDirectory + "/answering-daemon"
        try Deployment.link(deployed, to: fixture)
        let controlSocket = driver.runtimeDirectory + "/control.sock"
        let daemon = try driver.spawn(
            path: deployed,
            argv: [deployed, "listeners", "--workers", "2", "--config", config.path, "--control-socket", controlSocket],
            environment: ["NOTIFY_SOCKET=\(notify.path)"])
        let port = try daemon.listenerPort(named: "http")
        _ = try daemon.waitForEvent("all-ready", timeout: .seconds(30))
        _ = try notify.waitFor("READY=1", timeout: .seconds(10)) { $0.fields["READY"] == "1" }
        let before = try driver.control(socket: controlSocket, ["--json", "status"])
        let oldWorkers = before.workerPids(of: "answerer")
        try #require(oldWorkers.count == 2, "\(before)")
        let oldBuild = try #require(before.build, "\(before)")

        let load = LoadClient(port: port, threads: 4, mode: .lineAnswer)
        load.start()
        defer { _ = try? load.stop() }
        try load.waitForSuccesses(20, after: 0, timeout: .seconds(30))

        // The new build: the same fixture reporting another version, whose answerer workers
        // neither serve nor report ready. It passes the upgrade's check (the check never forks).
        try Deployment.install(
            script: "exec '\(fixture)' \"$@\" --build-version 2.0.0-never-ready --never-ready", at: deployed)
        let mark = daemon.cursor
        let upgrade = try driver.control(socket: controlSocket, ["upgrade", "--wait", "--timeout", "120"],
                                         timeout: .seconds(130))
        #expect(upgrade.status == .exited(2), "\(upgrade)\n\(daemon.tail)")
        #expect(upgrade.stderr.contains("not ready within"), "the reason names the readiness timeout: \(upgrade)")

        // The new image ran and started a replacement, which never became ready.
        let adopted = try daemon.waitForEvent("upgrade-adopted", from: mark, timeout: .seconds(10))
        #expect(adopted.pid == daemon.pid && adopted.fields["workers"] == "2", "\(adopted)")
        let never = try daemon.waitForLine("the new build's worker", from: mark, timeout: .seconds(10)) {
            $0.stream == "stdout" && $0.text.hasPrefix("answerer never ready ")
        }
        let replacement = try #require(never.text.split(separator: " ").last.flatMap { Int32($0.dropFirst("pid=".count)) },
                                       "\(never.text)")
        let aborted = try daemon.waitForEvent("roll-aborted", from: mark, timeout: .seconds(10))
        #expect(aborted.fields["error"]?.contains("not ready within") == true, "\(aborted)")
        let failed = try daemon.waitForEvent("upgrade-failed", from: mark, timeout: .seconds(10))
        #expect(failed.level == "error" && failed.fields["error"]?.contains("not ready within") == true, "\(failed)")
        let status = try notify.waitFor("STATUS=upgrade failed", timeout: .seconds(10)) {
            $0.fields["STATUS"]?.hasPrefix("upgrade failed: ") == true
        }
        #expect(status.fields["READY"] == "1" && status.fields["STATUS"]?.contains("not ready within") == true,
                "\(status)")
        #expect(!daemon.events("worker-ready").contains { $0.index >= mark }, "no worker became ready after the upgrade")
        let stopped = try daemon.waitForEvent("worker-exited", from: mark, timeout: .seconds(30)) { $0.subjectPid == replacement }
        #expect(stopped.fields["status"] == "exited:0", "the replacement was stopped: \(stopped)")

        // The old workers are kept, and serve on.
        let kept = try driver.control(socket: controlSocket, ["--json", "status"])
        #expect(kept.json?["pid"] as? Int == Int(daemon.pid), "\(kept)")
        #expect(kept.build?.hasPrefix("2.0.0-never-ready (build ") == true, "the master runs the new build: \(kept)")
        #expect(kept.workerPids(of: "answerer") == oldWorkers, "the same workers: \(kept) vs \(oldWorkers)")
        #expect(kept.workerBuilds(of: "answerer").allSatisfy { $0 == oldBuild }, "they still run \(oldBuild): \(kept)")
        let abortedAt = load.snapshot
        let after = try load.waitForSuccesses(20, after: abortedAt.successes, timeout: .seconds(30))
        let answeredAfter = Set(after.answeredBy.keys.filter { after.answeredBy[$0] != abortedAt.answeredBy[$0] })
        #expect(!answeredAfter.isEmpty && answeredAfter.isSubset(of: Set(oldWorkers.values)),
                "answered after the failed upgrade by \(answeredAfter), old workers \(oldWorkers)")
        let report = try load.stop()
        #expect(report.failures.isEmpty, "\(report)\n\(daemon.tail)")
        // The status line still says so once the old workers served on.
        notify.readWaiting()
        let lastStatus = notify.received.last { $0.fields["STATUS"] != nil }?.fields["STATUS"]
        #expect(lastStatus?.hasPrefix("upgrade failed: ") == true, "systemd's status line now: \(lastStatus ?? "none")")

        try daemon.stopAndExpectCleanExit(timeout: .seconds(30))
        let exits = daemon.events("worker-exited")
        #expect(exits.allSatisfy { $0.fields["status"] == "exited:0" }, "\(exits.map(\.text))")
        try driver.expectCleanEnd()
        print("upgrade to a never-ready build: \(upgrade.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); load: \(report)")
    }
}
