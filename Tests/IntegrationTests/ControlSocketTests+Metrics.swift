import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ControlSocketTests {
    /// The sample lines of a Prometheus text answer, `name{labels}` → value.
    private static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("metrics: the master's counters follow a SIGKILL, a reload and a scale, in the Prometheus text format",
          .timeLimit(.minutes(1)))
    func metrics() throws {
        let controlled = try ControlledDemo(ConfigurationFixture.printer(workers: 2, "min_workers: 1", "max_workers: 4"))
        defer { controlled.driver.close() }
        let (socket, driver, demo) = (controlled.socket, controlled.driver, controlled.demo)

        let initial = try driver.control(socket: socket.path, ["metrics"])
        #expect(initial.status == .exited(0), "\(initial)")
        #expect(initial.stdout.contains("# TYPE cotyledon_worker_starts_total counter\n"), "\(initial)")
        var values = Self.samples(initial.stdout)
        #expect(values["cotyledon_worker_starts_total{service=\"printer\"}"] == 2, "\(initial)")
        #expect(values["cotyledon_workers_ready{service=\"printer\"}"] == 2, "\(initial)")
        #expect(values["cotyledon_workers_desired{service=\"printer\"}"] == 2, "\(initial)")

        // A worker killed by SIGKILL: one exit as a crash, one death by SIGKILL, one restart.
        let victim = try #require(demo.liveWorkers()[0])
        var mark = demo.cursor
        try driver.signal(victim, SIGKILL)
        _ = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 0 }
        // A reload, then a scale to 3.
        mark = demo.cursor
        try driver.signal(demo.pid, SIGHUP)
        _ = try demo.waitForEvent("reload-complete", from: mark)
        #expect(try driver.control(socket: socket.path, ["scale", "printer", "3"]).status == .exited(0))
        _ = try demo.waitForEvent("worker-ready", from: mark) { $0.worker == 2 }

        let after = try driver.control(socket: socket.path, ["metrics"])
        values = Self.samples(after.stdout)
        let reloadStarts = demo.logLines[mark...].count { $0.event == "worker-started" && $0.worker != 2 }
        #expect(values["cotyledon_worker_exits_total{service=\"printer\",reason=\"crash\"}"] == 1, "\(after)")
        #expect(values["cotyledon_worker_signal_deaths_total{service=\"printer\",signal=\"SIGKILL\"}"] == 1, "\(after)")
        #expect(values["cotyledon_worker_restarts_total{service=\"printer\"}"] == 1, "\(after)")
        #expect(values["cotyledon_reloads_total{result=\"success\"}"] == 1, "\(after)")
        #expect(values["cotyledon_worker_starts_total{service=\"printer\"}"] == Double(2 + 1 + reloadStarts + 1), "\(after)")
        #expect(values["cotyledon_workers_running{service=\"printer\"}"] == 3, "\(after)")
        #expect(values["cotyledon_workers_ready{service=\"printer\"}"] == 3, "\(after)")
        #expect(values["cotyledon_master_stopping"] == 0, "\(after)")

        let json = try driver.control(socket: socket.path, ["--json", "metrics"])
        #expect(json.json?["format"] as? String == "prometheus-text-0.0.4", "\(json)")

        try demo.stopAndExpectCleanExit()
        try driver.expectCleanEnd()
    }
}
