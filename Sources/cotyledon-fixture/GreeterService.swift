import Cotyledon
import Glibc

/// Prints the greeting of its settings when it starts and at each in-place reload, for
/// the settings scenario: `settings greeting=… worker=… pid=…`.
final class GreeterService: SettingsService<GreeterSettings>, WorkerIDInitializable {
    override class var name: String { "greeter" }
    override class var reloadsInPlace: Bool { true }

    override func run() async throws {
        report()
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    override func reload() async {
        report()
    }

    private func report() {
        emit("settings greeting=\(settings.greeting) worker=\(workerID) pid=\(getpid())")
    }
}
