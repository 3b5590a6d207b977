import CCotyledonLinux
import Cotyledon
import Dispatch
import Glibc
import Synchronization

/// The process's main thread, which main.swift records first thing (a worker's main thread
/// is the one that forked it, the master's).
nonisolated(unsafe) var fixtureMainThread = pthread_t()

/// Whether the caller runs on the process's main thread.
func onMainThread() -> Bool {
    pthread_equal(pthread_self(), fixtureMainThread) != 0
}

/// Beats (a heartbeat timeout of 4 s: a beat every second) and sleeps in `Task.sleep`:
/// the idle worker whose threads the tests count.
final class IdleService: Service, WorkerIDInitializable {
    override class var name: String { "idler" }
    override class var heartbeatTimeout: Duration? { .seconds(4) }

    override func run() async throws {
        emit("idle worker=\(workerID)")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// A counter on an actor of its own, for the probe.
actor ProbeCounter {
    private(set) var value = 0
    private(set) var onMain = true

    func add(_ amount: Int) {
        value += amount
        onMain = onMain && onMainThread()
    }
}

/// Uses what a one-thread worker must still offer, then reports where each part ran:
/// `Task.sleep` on both clocks, an actor, a task group, `Task.detached`, a main-actor hop,
/// `runBlocking` and `DispatchQueue.main`.
final class ProbeService: Service, WorkerIDInitializable {
    override class var name: String { "prober" }

    override func run() async throws {
        try await Task.sleep(for: .milliseconds(20))
        try await Task.sleep(until: .now + .milliseconds(20), clock: .suspending)
        let counter = ProbeCounter()
        let groupOnMain = await withTaskGroup(of: Bool.self) { group in
            for amount in 1...4 {
                group.addTask {
                    await counter.add(amount)
                    try? await Task.sleep(for: .milliseconds(5))
                    return onMainThread()
                }
            }
            var all = true
            for await onMain in group { all = all && onMain }
            return all
        }
        let detachedOnMain = await Task.detached { onMainThread() }.value
        let hopOnMain = await Task.detached { await MainActor.run { MainActor.assertIsolated(); return onMainThread() } }.value
        let blocking = await runBlocking { _ in (answer: 42, onMain: onMainThread()) }
        let dispatchOnMain = await withCheckedContinuation { continuation in
            DispatchQueue.main.async { continuation.resume(returning: onMainThread()) }
        }
        // Queued on the main queue by another thread, which must wake the loop up.
        let dispatchFromThreadOnMain = await withCheckedContinuation { continuation in
            ThreadStarter.start { DispatchQueue.main.async { continuation.resume(returning: onMainThread()) } }
        }
        let total = await counter.value
        let actorOnMain = await counter.onMain
        emit("probe worker=\(workerID) sleeps=ok actor=\(total) actor-on-main=\(actorOnMain) group-on-main=\(groupOnMain) detached-on-main=\(detachedOnMain) hop-on-main=\(hopOnMain) blocking=\(blocking.answer) blocking-on-main=\(blocking.onMain) dispatch-main-on-main=\(dispatchOnMain) dispatch-from-thread-on-main=\(dispatchFromThreadOnMain)")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// How many of ``ParallelService``'s tasks have started.
final class StartedTasks: Sendable {
    let count = Atomic<Int>(0)
}

/// Runs two child tasks that must run at the same time to get past each other (each waits,
/// at most 20 s, for the other to start): on the platform's thread pool they do.
final class ParallelService: Service, WorkerIDInitializable {
    override class var name: String { "parallel" }
    override class var concurrency: WorkerConcurrency { .threadPool }

    override func run() async throws {
        let started = StartedTasks()
        let threads = await withTaskGroup(of: (thread: pthread_t, metOther: Bool).self) { group in
            for _ in 0..<2 {
                group.addTask {
                    started.count.add(1, ordering: .sequentiallyConsistent)
                    var waits = 0
                    while started.count.load(ordering: .sequentiallyConsistent) < 2 && waits < 20_000 {
                        usleep(1_000)
                        waits += 1
                    }
                    return (pthread_self(), started.count.load(ordering: .sequentiallyConsistent) == 2)
                }
            }
            var all: [(thread: pthread_t, metOther: Bool)] = []
            for await result in group { all.append(result) }
            return all
        }
        let distinct = Set(threads.map(\.thread)).count
        emit("parallel worker=\(workerID) threads=\(distinct) met=\(threads.allSatisfy(\.metOther)) main-on-main=\(onMainThread())")
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// Beats like ``IdleService`` (same timeout), then blocks its main thread for good: its
/// heartbeat stops, and so does its respawn's. Beside idle workers, its timeouts show that
/// the master checked their beats long after the timeout had passed.
final class HungBeaterService: Service, WorkerIDInitializable {
    override class var name: String { "hung-beater" }
    override class var heartbeatTimeout: Duration? { IdleService.heartbeatTimeout }

    override func run() async throws {
        signal(SIGABRT, SIG_IGN)  // no backtrace: the master's SIGKILL ends it
        emit("hung beater worker=\(workerID)")
        while true {
            sleep(3600)
        }
    }
}

/// Clears its parent-death signal, as a change of user or group id does, then blocks its
/// main thread for good: only the kernel's signal for the master-alive pipe's end can
/// tell it that the master is gone.
final class DeafMainBlockingService: Service, WorkerIDInitializable {
    override class var name: String { "deaf-main-blocker" }

    override func run() async throws {
        _ = ccotyledon_set_parent_death_signal(0)
        emit("deaf and blocking the main thread worker=\(workerID)")
        while true {
            sleep(3600)
        }
    }
}

/// Reports ready, then blocks the main thread for good (a synchronous loop in `run()`):
/// only the signal handlers and their timers can end it.
final class MainBlockingService: Service, WorkerIDInitializable {
    override class var name: String { "main-blocker" }

    override func run() async throws {
        try await Task.sleep(for: .milliseconds(10))
        emit("blocking the main thread worker=\(workerID)")
        while true {
            sleep(3600)
        }
    }
}
