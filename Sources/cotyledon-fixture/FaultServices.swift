import Cotyledon
import Glibc

/// Exits with status 3 as soon as it runs (after reporting ready, unless its readiness is explicit).
final class CrashingService: Service, WorkerIDInitializable {
    override class var name: String { "crasher" }

    override func run() async throws {
        fflush(nil)
        _exit(3)
    }
}

/// Ignores SIGTERM: only the master's SIGKILL at the graceful timeout stops it.
final class StubbornService: Service, WorkerIDInitializable {
    override class var name: String { "stubborn" }

    override func run() async throws {
        signal(SIGTERM, SIG_IGN)
        emit("stubborn ignoring SIGTERM worker=\(workerID)")
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Starts a shell with a background grandchild in the worker's process group.
final class TreeService: Service, WorkerIDInitializable {
    override class var name: String { "parent" }

    override func run() async throws {
        let child = try Spawn.run(["/bin/sh", "-c", "sleep 3600 & sleep 3600"])
        emit("spawned tree worker=\(workerID) child=\(child)")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Ignores SIGTERM, and starts a shell whose background grandchild ignores it too:
/// only the graceful timeout's SIGKILL to the whole process group ends the tree.
final class StubbornTreeService: Service, WorkerIDInitializable {
    override class var name: String { "stubborn-parent" }

    override func run() async throws {
        signal(SIGTERM, SIG_IGN)
        let child = try Spawn.run(["/bin/sh", "-c", "trap '' TERM; sleep 3600 & sleep 3600"])
        emit("spawned tree worker=\(workerID) child=\(child)")
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Reports ready, then spins on the main actor without ever suspending; its heartbeat stops.
final class SpinningService: Service, WorkerIDInitializable {
    override class var name: String { "spinner" }
    override class var heartbeatTimeout: Duration? { .seconds(1) }

    override func run() async throws {
        signal(SIGABRT, SIG_IGN)
        try await Task.sleep(for: .milliseconds(10))
        emit("spinning worker=\(workerID)")
        var counter: UInt64 = 0
        while true {
            counter &+= 1
        }
    }
}

/// Double-forks a `sleep` that leaves the worker's group with setsid, so it is
/// re-parented to the nearest subreaper: the master.
final class OrphaningService: Service, WorkerIDInitializable {
    override class var name: String { "orphaner" }

    override func run() async throws {
        let shell = try Spawn.run(["/bin/sh", "-c", "setsid sleep 3600 > /dev/null 2>&1 < /dev/null & echo $!"], captureOutput: true)
        emit("orphan pid=\(shell) worker=\(workerID)")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}


/// Starts the tree of ``TreeService`` in its process group and a `sleep` that left the
/// group with setsid: when the worker dies, the tree is cleaned up and the `sleep` lives on.
final class EscapingTreeService: Service, WorkerIDInitializable {
    override class var name: String { "escaper" }

    override func run() async throws {
        let child = try Spawn.run(["/bin/sh", "-c", "sleep 3600 & sleep 3600"])
        let escapee = try Spawn.run(["/bin/sh", "-c", "setsid sleep 3600 > /dev/null 2>&1 < /dev/null & echo $!"], captureOutput: true)
        emit("spawned tree worker=\(workerID) child=\(child) escapee=\(escapee)")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Waits in `runBlocking` for a `sleep` child in its own process group and throws as soon
/// as the child dies: at a stop, the group's SIGTERM kills the child while the worker's own
/// SIGTERM is still on its way to the main actor, so `run()` fails before `terminate()`.
final class ChildWaitingService: Service, WorkerIDInitializable {
    override class var name: String { "waiter" }

    override func run() async throws {
        let child = try Spawn.run(["/bin/sleep", "3600"])
        emit("child pid=\(child) worker=\(workerID)")
        try await runBlocking { _ in
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            throw Spawn.Failure(description: "the child \(child) ended (wait status \(status))")
        }
    }
}

/// Its `terminate()` lets `run()` return, then never returns itself (as a close that never
/// completes): the worker reports that it waits for `terminate()` and gives up just before
/// the graceful timeout.
/// `run()` returns at once; `terminate()` then blocks the main thread before it first
/// suspends: only the group kill armed when the termination begins can end the worker.
final class BlockingTerminateService: Service, WorkerIDInitializable {
    override class var name: String { "terminate-blocker" }

    override func run() async throws {}

    override func terminate() async {
        emit("terminate blocks worker=\(workerID)")
        while true {
            sleep(3600)
        }
    }
}

final class PendingTerminateService: Service, WorkerIDInitializable {
    override class var name: String { "closer" }
    private var release: CheckedContinuation<Void, Never>?

    override func run() async throws {
        await withCheckedContinuation { release = $0 }
        emit("closer run returned worker=\(workerID)")
    }

    override func terminate() async {
        emit("closer terminate called worker=\(workerID)")
        release?.resume()
        release = nil
        while true {
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
