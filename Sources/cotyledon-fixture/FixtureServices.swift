import Cotyledon
import Glibc

/// Prints one line to stdout with a single `write(2)`.
func emit(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = write(STDOUT_FILENO, &bytes, bytes.count)
}

/// Sleeps until cancelled and reports its reloads, for the hooks scenario.
final class FixtureService: Service, WorkerIDInitializable {
    override class var name: String { "fixture" }
    override class var reloadsInPlace: Bool { true }

    override func run() async throws {
        // /proc/PID/environ shows the process title's bytes, not the environment: report it.
        let inherited: [String] = ["NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]
            .filter { getenv($0) != nil }
        emit("worker-environment worker=\(workerID) systemd-variables=\(inherited.isEmpty ? "none" : inherited.joined(separator: ","))")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    override func reload() async {
        emit("service-reload worker=\(workerID)")
    }
}

/// Becomes ready, then fails.
final class ThrowingService: Service, WorkerIDInitializable {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "deliberate failure from the throwing fixture" }
    }

    override class var name: String { "thrower" }

    override func run() async throws {
        try await Task.sleep(for: .milliseconds(50))
        throw Failure()
    }
}

/// Ignores both cancellation and `terminate()`: only SIGKILL stops it.
final class HangingService: Service, WorkerIDInitializable {
    override class var name: String { "hanger" }

    override func run() async throws {
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    override func terminate() async {
        emit("hanger terminate called worker=\(workerID)")
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Keeps the default `reload()`: on SIGHUP it finishes and is respawned with its id.
final class RestartingService: Service, WorkerIDInitializable {
    override class var name: String { "restarter" }

    override func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Opts into explicit readiness and never reports ready.
final class NeverReadyService: Service, WorkerIDInitializable {
    override class var name: String { "laggard" }
    override class var readiness: ReadinessMode { .explicit }

    override func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// A blocking loop, as in the seed, kept off the main actor with `runBlocking`.
final class BlockingService: Service, WorkerIDInitializable {
    override class var name: String { "blocker" }

    override func run() async throws {
        let id = workerID
        await runBlocking { token in
            while !token.isStopRequested {
                emit("blocking tick worker=\(id)")
                usleep(20_000)
            }
            emit("blocking loop ended worker=\(id)")
        }
    }
}

/// Reports ready 150 ms after it starts, so a rolling restart of it takes observable time.
final class SlowStartingService: Service, WorkerIDInitializable {
    override class var name: String { "slow" }
    override class var readiness: ReadinessMode { .explicit }

    override func run() async throws {
        try await Task.sleep(for: .milliseconds(150))
        markReady()
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Needs an argument, so it is built by a closure and has no `init(workerID:)`; its settings
/// come from its class: a 1 s graceful timeout (it ignores SIGTERM, so the timeout shows)
/// and in-place reloads.
final class ClassSettingsService: Service {
    override class var name: String { "classy" }
    override class var gracefulShutdownTimeout: Duration? { .seconds(1) }
    override class var reloadsInPlace: Bool { true }

    private let greeting: String

    /// A worker that prints `greeting` when it runs.
    init(workerID: Int, greeting: String) {
        self.greeting = greeting
        super.init(workerID: workerID)
    }

    override func run() async throws {
        signal(SIGTERM, SIG_IGN)
        emit("classy worker=\(workerID) greeting=\(greeting)")
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    override func reload() async {
        emit("classy-reload worker=\(workerID)")
    }
}
