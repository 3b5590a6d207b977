import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl metrics`: the master's counters and gauges in the Prometheus text format.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the master's metrics (workers desired/running/ready, starts, exits by reason, deaths by signal, restarts, reloads, rolling restarts) in the Prometheus text format.",
        discussion: """
        The master counts in its own loop, without threads; write the output to a \
        node_exporter textfile collector, or serve it from a worker, to scrape it.
        """)

    @ParentCommand var control: CotyledonControl

    func run() throws {
        try control.options.perform(.metrics) { response throws(ControlFailure) in
            guard let text = response.object["text"]?.stringValue else {
                throw ControlFailure(.protocolError, "the daemon's metrics answer has no \"text\": \(response.line)")
            }
            return String(text.dropLast(text.hasSuffix("\n") ? 1 : 0))
        }
    }
}
