import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `python3 Benchmarks/run.py --smoke`, started with `posix_spawn` (not `Foundation.Process`,
/// see ``DriverLauncher``) with a clean signal state, its output in a file.
struct BenchmarkSmokeRun {
    /// The metrics every run reports (`key` in results.json), in the order of the benchmark table.
    static let metricKeys = [
        "start_small", "start_medium", "start_large", "respawn", "mass_kill_1", "mass_kill_2",
        "stop_small", "stop_medium", "stop_large", "master_kill", "pss_master", "uss_master",
        "pss_worker", "uss_worker", "worker_threads", "idle_wakeups", "worker_wakeups",
        "churn_rss", "churn_rss_growth", "churn_fds",
    ]
    /// The printer-daemon rows: measured when the Examples package is built (`./dev test`
    /// builds it first), else left out with the reason in results.md.
    static let printerKeys = ["pss_master_printer", "uss_master_printer"]

    /// The harness's pid.
    let pid: pid_t
    /// The folder the harness writes results.md, results.json and run.log into.
    let output: URL

    /// How the run ended.
    struct Outcome {
        /// The harness's exit status; `nil` if it was killed by a signal.
        let exitStatus: Int32?
        /// Its stdout and stderr.
        let log: String
    }

    /// Starts the harness on `demo` (the test build's `cotyledon-demo`), writing to a fresh
    /// temporary folder.
    static func start(packageRoot: URL, demo: String) throws -> BenchmarkSmokeRun {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("cotyledon-benchmark-smoke-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let script = packageRoot.appendingPathComponent("Benchmarks/run.py").path
        let arguments = ["python3", script, "--smoke", "--demo", demo, "--output", output.path]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let logPath = output.appendingPathComponent("run.log").path
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let result = CleanSpawnAttributes.with { posix_spawnp(&pid, "python3", &actions, &$0, argv, environ) }
        guard result == 0 else {
            throw DriverError("posix_spawnp python3: \(String(cString: strerror(result)))")
        }
        return BenchmarkSmokeRun(pid: pid, output: output)
    }

    /// Waits for the harness to exit. Past `timeout` it gets SIGTERM (it then stops its
    /// daemons), then SIGKILL, and this throws.
    func wait(timeout: Duration) throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(pid, SIGTERM)
                let grace = ContinuousClock.now + .seconds(10)
                while waitpid(pid, &status, WNOHANG) == 0 {
                    if ContinuousClock.now > grace {
                        kill(pid, SIGKILL)
                        waitpid(pid, &status, 0)
                        break
                    }
                    usleep(50_000)
                }
                throw DriverError("Benchmarks/run.py --smoke took more than \(timeout); output:\n\(log)")
            }
            usleep(50_000)
        }
        let exited = status & 0x7f == 0
        return Outcome(exitStatus: exited ? (status >> 8) & 0xff : nil, log: log)
    }

    /// The harness's output so far.
    var log: String {
        (try? String(contentsOf: output.appendingPathComponent("run.log"), encoding: .utf8)) ?? ""
    }

    /// results.md as written.
    func markdown() throws -> String {
        try String(contentsOf: output.appendingPathComponent("results.md"), encoding: .utf8)
    }

    /// results.json: side keys measured, and each metric's value by side — a median, or the
    /// reason it could not be measured.
    func results() throws -> (sides: [String], values: [String: [String: Any]], labels: [String]) {
        let data = try Data(contentsOf: output.appendingPathComponent("results.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let sides = root["sides"] as? [[String: Any]],
              let metrics = root["metrics"] as? [[String: Any]] else {
            throw DriverError("results.json has no sides or metrics")
        }
        var values: [String: [String: Any]] = [:]
        var labels: [String] = []
        for metric in metrics {
            guard let key = metric["key"] as? String else { continue }
            values[key] = metric["values"] as? [String: Any] ?? [:]
            if let label = metric["label"] as? String { labels.append(label) }
        }
        return (sides.compactMap { $0["key"] as? String }, values, labels)
    }

    /// Processes that still carry this run's `COTYLEDON_BENCHMARK_RUN` marker (daemons or
    /// workers the harness left behind).
    func leftovers() -> [pid_t] {
        let marker = Array("COTYLEDON_BENCHMARK_RUN=\(output.path)\0".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let candidate = pid_t(entry),
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  environment.range(of: Data(marker)) != nil,
                  !isZombie(candidate) else { return nil }
            return candidate
        }
    }

    private func isZombie(_ candidate: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Removes the output folder.
    func removeOutput() {
        try? FileManager.default.removeItem(at: output)
    }
}
