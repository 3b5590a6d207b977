import Cotyledon

/// The seed's example: prints "Doing stuff" until it is told to terminate.
///
/// `run()` is a plain async loop: the default `terminate()` cancels it, which ends
/// `Task.sleep` at once. `reload()` is done in place (the worker keeps its pid).
final class PrinterService: Service {
    override class var name: String { "printer" }
    override class var reloadsInPlace: Bool { true }

    private let interval: Duration

    /// A printer that prints every `interval`.
    init(workerID: Int, interval: Duration) {
        self.interval = interval
        super.init(workerID: workerID)
    }

    override func run() async throws {
        while !Task.isCancelled {
            print("Doing stuff (printer worker \(workerID))")
            try await Task.sleep(for: interval)
        }
    }

    override func reload() async {
        print("Reloaded (printer worker \(workerID))")
    }
}
