/// The master's counters, kept in its loop for the control socket's `metrics` command.
///
/// The master does not use swift-metrics: its backends start threads (flush timers,
/// exporters), and the master must stay single-threaded to fork safely. So it counts in
/// plain memory, and `cotyledonctl metrics` (or any client of the control socket) reads
/// the figures in the Prometheus text format, for a textfile collector, a scrape proxy in
/// a worker, or a look by hand. Workers may bootstrap any swift-metrics backend in
/// ``Service/run()``, after the fork.
struct MasterMetrics {
    /// One counter the master keeps.
    enum Counter: String, CaseIterable {
        case workerStarts = "cotyledon_worker_starts_total"
        case workerExits = "cotyledon_worker_exits_total"
        case workerSignals = "cotyledon_worker_signal_deaths_total"
        case workerRestarts = "cotyledon_worker_restarts_total"
        case heartbeatTimeouts = "cotyledon_heartbeat_timeouts_total"
        case reloads = "cotyledon_reloads_total"
        case rollingRestarts = "cotyledon_rolling_restarts_total"

        var help: String {
            switch self {
            case .workerStarts: return "Worker processes forked, by service."
            case .workerExits: return "Worker exits, by service and reason (crash, failed-before-ready, stopped, reload, scaled-down)."
            case .workerSignals: return "Workers killed by a signal, by service and signal."
            case .workerRestarts: return "Respawns after unrequested exits, by service."
            case .heartbeatTimeouts: return "Workers that missed their heartbeat, by service."
            case .reloads: return "Reloads of the configuration, by result (success, failed)."
            case .rollingRestarts: return "Rolling restarts, by service and result (complete, aborted)."
            }
        }
    }

    /// Label sets in Prometheus syntax (`service="printer",reason="crash"`) to values, per counter.
    private var values: [Counter: [String: Double]] = [:]

    /// Adds one to `counter` for the label set.
    mutating func increment(_ counter: Counter, _ labels: KeyValuePairs<String, String>) {
        values[counter, default: [:]][MasterMetrics.render(labels), default: 0] += 1
    }

    /// Every counter with a `# HELP` and `# TYPE` line, samples sorted by labels; a counter
    /// without samples is listed with its help only.
    func exposition() -> String {
        var text = ""
        for counter in Counter.allCases {
            text += "# HELP \(counter.rawValue) \(counter.help)\n# TYPE \(counter.rawValue) counter\n"
            for (labels, value) in (values[counter] ?? [:]).sorted(by: { $0.key < $1.key }) {
                text += MasterMetrics.sample(counter.rawValue, labels: labels, value: value)
            }
        }
        return text
    }

    /// A gauge with its help, type and samples.
    static func gauge(_ name: String, help: String, samples: [(labels: KeyValuePairs<String, String>, value: Double)]) -> String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
        for sample in samples {
            text += MasterMetrics.sample(name, labels: render(sample.labels), value: sample.value)
        }
        return text
    }

    private static func sample(_ name: String, labels: String, value: Double) -> String {
        let number = value == value.rounded() && value.magnitude < 1e15 ? String(Int64(value)) : String(value)
        return labels.isEmpty ? "\(name) \(number)\n" : "\(name){\(labels)} \(number)\n"
    }

    /// `a="x",b="y"`, with `\`, `"` and line feeds escaped.
    static func render(_ labels: KeyValuePairs<String, String>) -> String {
        labels.map { name, value in
            var escaped = ""
            for character in value {
                switch character {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(character)
                }
            }
            return "\(name)=\"\(escaped)\""
        }.joined(separator: ",")
    }
}
