import Foundation
import Testing

extension DaemonSuite {
    /// The benchmark harness (`Benchmarks/run.py`) in its smoke mode: one run with tiny counts
    /// against this build's demo, so that the harness cannot rot between full runs. Without
    /// network (no cotyledon venv) it measures the Swift side alone.
    @Suite
    struct BenchmarkSmokeTests {
        @Test("the benchmark smoke run measures every metric and leaves nothing running",
              .timeLimit(.minutes(2)))
        func smokeRun() throws {
            let packageRoot = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent()  // IntegrationTests
                .deletingLastPathComponent()  // Tests
                .deletingLastPathComponent()
            let run = try BenchmarkSmokeRun.start(
                packageRoot: packageRoot, demo: try BuildProducts.path(of: "cotyledon-demo"))
            let outcome = try run.wait(timeout: .seconds(100))
            #expect(outcome.exitStatus == 0, "Benchmarks/run.py --smoke failed:\n\(outcome.log)")
            #expect(run.leftovers().isEmpty, "processes left by the harness: \(run.leftovers())")

            let results = try run.results()
            let markdown = try run.markdown()
            #expect(results.sides.contains("swift"))
            // printer-daemon's rows are left out, with the reason, when the Examples are not built.
            let printerBuilt = !markdown.contains("printer-daemon (not built")
            let keys = BenchmarkSmokeRun.metricKeys + (printerBuilt ? BenchmarkSmokeRun.printerKeys : [])
            for side in results.sides {
                for key in keys {
                    let value = results.values[key]?[side] as? [String: Any]
                    if side == "cotyledon", let reason = value?["failed"] as? String {
                        // cotyledon's own limits are results too; they must say why.
                        #expect(!reason.isEmpty, "\(key): a cotyledon failure without a reason")
                        continue
                    }
                    #expect(value?["median"] as? Double != nil,
                            "\(key) has no number for \(side): \(String(describing: value))\n\(outcome.log)")
                }
            }
            for label in results.labels {
                #expect(markdown.contains(label), "results.md has no row '\(label)'")
            }
            if !results.sides.contains("cotyledon") {
                #expect(markdown.contains("Swift side only"), "results.md says cotyledon was skipped")
            }
            if outcome.exitStatus == 0 { run.removeOutput() }
        }
    }
}
