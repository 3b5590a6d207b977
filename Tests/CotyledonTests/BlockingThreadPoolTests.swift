import Synchronization
import Testing
@testable import Cotyledon
#if canImport(Glibc)
import Glibc
#endif

@Suite struct BlockingThreadPoolTests {
    /// Counts the closures that started and holds them until released.
    final class Gate: Sendable {
        let started = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
    }

    /// Waits until `condition` holds, failing after `timeout`.
    private func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("sequential calls run on the same thread, which the pool starts once")
    func reusesItsThreadAcrossSequentialCalls() async {
        let pool = BlockingThreadPool(maximumThreads: 4, idleTimeout: .seconds(60))
        var threadIDs: Set<pthread_t> = []
        for _ in 0..<5 {
            threadIDs.insert(await pool.run { pthread_self() })
        }
        #expect(threadIDs.count == 1, "one thread for five calls in a row: \(threadIDs)")
        #expect(pool.load.threads == 1)
    }

    @Test("concurrent calls run in parallel up to the bound; the rest wait their turn")
    func runsConcurrentCallsInParallelUpToTheBound() async throws {
        let pool = BlockingThreadPool(maximumThreads: 2, idleTimeout: .seconds(60))
        let gate = Gate()
        let calls = (0..<3).map { _ in
            Task {
                await pool.run {
                    gate.started.add(1, ordering: .sequentiallyConsistent)
                    while !gate.released.load(ordering: .sequentiallyConsistent) { usleep(1_000) }
                    return pthread_self()
                }
            }
        }
        // Two calls block on their own threads at once; the third waits in the queue.
        try await waitUntil("two calls run and one is queued") {
            gate.started.load(ordering: .sequentiallyConsistent) == 2 && pool.load.queued == 1
        }
        #expect(pool.load.threads == 2 && pool.load.busy == 2, "\(pool.load)")
        gate.released.store(true, ordering: .sequentiallyConsistent)
        var threadIDs: Set<pthread_t> = []
        for call in calls { threadIDs.insert(await call.value) }
        #expect(gate.started.load(ordering: .sequentiallyConsistent) == 3)
        #expect(threadIDs.count == 2, "the third call ran on a thread of the first two: \(threadIDs)")
        #expect(pool.load.threads == 2)
    }

    @Test("a thread idle for the idle timeout ends")
    func idleThreadsEnd() async throws {
        let pool = BlockingThreadPool(maximumThreads: 2, idleTimeout: .milliseconds(50))
        _ = await pool.run { pthread_self() }
        try await waitUntil("the idle thread ended") { pool.load.threads == 0 }
        #expect(await pool.run { 7 } == 7, "a pool whose threads ended starts one again")
    }
}
