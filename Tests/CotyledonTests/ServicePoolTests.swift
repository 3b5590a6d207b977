import SystemPackage
import Testing
@testable import Cotyledon

/// A service of `workers` workers, resizable within `minWorkers...maxWorkers`.
private func service(workers: Int, minWorkers: Int = 1, maxWorkers: Int = 8) -> ServiceRegistration {
    ServiceRegistration(
        id: ServiceID(rawValue: 0), name: "printer",
        configuration: ServiceConfiguration(workers: workers, minWorkers: minWorkers, maxWorkers: maxWorkers),
        defaultGracefulShutdownTimeout: .seconds(1), readiness: .whenRunStarts, reloadsInPlace: false,
        heartbeatTimeout: nil) { _ in fatalError("no worker runs in these tests") }
}

/// A worker record as the master keeps one, for a process that is never forked.
private func worker(_ pool: ServicePool, _ workerID: Int, pid: Int32) -> WorkerRecord {
    WorkerRecord(service: pool.service, workerID: workerID, pid: pid,
                 messages: FileDescriptor(rawValue: -1), startedAt: MonotonicInstant(nanoseconds: 0), build: "unknown")
}

/// The ready workers filling their slot, counted from the records.
private func recountedReady(_ pool: ServicePool) -> Int {
    (0..<16).count { pool[$0].isReady }
}

/// A pool with every slot filled by a ready worker, pids 100, 101, …
private func fullReadyPool(workers: Int) -> ServicePool {
    let pool = ServicePool(service: service(workers: workers))
    for id in pool.missingWorkerIDs(isWaitingForRespawn: { _ in false }) {
        let filler = worker(pool, id, pid: 100 + Int32(id))
        pool.add(filler, asReplacement: false)
        _ = pool.workerBecameReady(filler)
    }
    return pool
}

/// The pool's slot records: filling, readiness, replacement, vacating, and the comparison
/// of the desired worker count with the slots.
@Suite struct ServicePoolTests {
    /// A new pool misses every desired id, lowest first, and nothing once they are filled.
    @Test func missingIDsAreTheEmptyDesiredSlots() {
        let pool = ServicePool(service: service(workers: 3))
        #expect(pool.missingWorkerIDs(isWaitingForRespawn: { _ in false }) == [0, 1, 2])
        for id in 0..<3 { pool.add(worker(pool, id, pid: 10 + Int32(id)), asReplacement: false) }
        pool.slotMayBeEmpty()
        #expect(pool.missingWorkerIDs(isWaitingForRespawn: { _ in false }) == [])
    }

    /// The exit of worker 1 leaves slot 1 alone to respawn, unless its respawn is delayed,
    /// and the respawn is flagged as one.
    @Test func anExitRespawnsThatSlotOnly() {
        let pool = fullReadyPool(workers: 3)
        #expect(!pool.mayHaveEmptySlots)
        let dead = pool[1].worker!
        #expect(pool.vacate(dead))
        #expect(pool.mayHaveEmptySlots)
        #expect(pool.missingWorkerIDs(isWaitingForRespawn: { $0 == 1 }) == [])
        pool.slotMayBeEmpty()
        #expect(pool.missingWorkerIDs(isWaitingForRespawn: { _ in false }) == [1])
        #expect(pool.add(worker(pool, 1, pid: 200), asReplacement: false), "slot 1 had a worker: this one is a respawn")
        #expect(pool[1].worker?.pid == 200)
        #expect(pool[0].worker?.pid == 100 && pool[2].worker?.pid == 102)
    }

    /// Ready counts follow the slots: a worker counts once ready and filling its slot; a
    /// stopped (vacated) one stops counting; a stopping worker reporting ready never counts.
    @Test func readyCountFollowsTheSlots() {
        let pool = ServicePool(service: service(workers: 2))
        let first = worker(pool, 0, pid: 10)
        pool.add(first, asReplacement: false)
        #expect(pool.readyCount == 0)
        #expect(!pool.workerBecameReady(first))
        #expect(pool.readyCount == 1)
        pool.vacate(first)
        #expect(pool.readyCount == 0)
        let stopping = worker(pool, 1, pid: 11)
        pool.add(stopping, asReplacement: false)
        pool.vacate(stopping)
        _ = pool.workerBecameReady(stopping)
        #expect(pool.readyCount == 0 && recountedReady(pool) == 0)
    }

    /// A roll never leaves fewer ready workers than desired: each replacement waits beside
    /// its slot until ready, then takes it, and only then is the old worker handed back to stop.
    @Test func aRollNeverLowersTheReadyCount() {
        let pool = fullReadyPool(workers: 4)
        for id in 0..<4 {
            let replacement = worker(pool, id, pid: 300 + Int32(id))
            pool.add(replacement, asReplacement: true)
            #expect(pool.readyCount == 4)
            #expect(pool.workerBecameReady(replacement), "the waiting replacement is promoted")
            #expect(pool.readyCount == 4)
            let old = pool.promote(replacement)
            #expect(old?.pid == 100 + Int32(id))
            #expect(pool.readyCount == 4 && pool.isFullyReady)
            #expect(!pool.vacate(old!), "the old worker no longer fills the slot")
            #expect(pool.readyCount == 4)
        }
        #expect((0..<4).map { pool[$0].worker?.pid } == [300, 301, 302, 303])
    }

    /// A replacement whose old worker died meanwhile takes the empty slot at once; a
    /// replacement that died is forgotten and the old worker keeps the slot.
    @Test func waitingReplacementsFillSlotsTheirWorkerLeft() {
        let pool = fullReadyPool(workers: 2)
        let replacement = worker(pool, 0, pid: 400)
        pool.add(replacement, asReplacement: true)
        pool.vacate(pool[0].worker!)
        pool.promoteWaitingReplacement(at: 0)
        #expect(pool[0].worker === replacement && pool[0].replacement == nil)
        #expect(pool.readyCount == 1, "not ready yet")
        let failed = worker(pool, 1, pid: 401)
        pool.add(failed, asReplacement: true)
        #expect(pool.dropReplacement(failed))
        #expect(!pool.dropReplacement(failed))
        #expect(pool[1].worker?.pid == 101 && pool.readyCount == 1, "slot 0 waits for its new worker, slot 1 kept its ready one")
    }

    /// Resizing stays within `min_workers...max_workers`.
    @Test func resizingStaysWithinTheBounds() {
        let pool = ServicePool(service: service(workers: 2, minWorkers: 1, maxWorkers: 3))
        #expect(pool.workerCount(resizedBy: 1) == 3)
        #expect(pool.workerCount(resizedBy: -1) == 1)
        pool.service.desiredWorkers = 3
        #expect(pool.workerCount(resizedBy: 1) == nil)
        pool.service.desiredWorkers = 1
        #expect(pool.workerCount(resizedBy: -1) == nil)
    }

    /// Restarts, early failures and last exits are kept per slot (restarts also summed per
    /// pool) across respawns; scaling a slot away forgets its early failures, not its restarts.
    @Test func historyIsKeptPerSlot() {
        let pool = fullReadyPool(workers: 2)
        pool.recordExit(at: 1, status: .exited(code: 3))
        pool.countRestart(at: 1, earlyFailures: 1)
        pool.countRestart(at: 1, earlyFailures: 2)
        #expect(pool[1].restarts == 2 && pool[0].restarts == 0 && pool.restarts == 2)
        #expect(pool[1].earlyFailures == 2 && pool[0].earlyFailures == 0)
        pool.scaledAway(1)
        #expect(pool[1].earlyFailures == 0 && pool[1].restarts == 2)
        #expect(pool[1].lastExit == WorkerExitStatus.exited(code: 3).token && pool[0].lastExit == nil)
    }

    /// Whatever the order of fills, readiness, replacements, promotions and exits, the
    /// ready count equals the ready workers the slots hold (a seeded random walk).
    @Test func readyCountMatchesARecountAfterAnySequence() {
        var random = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &random)
        var generator = SplitMix64(state: seed)
        let pool = ServicePool(service: service(workers: 6))
        var live: [WorkerRecord] = []
        var nextPID: Int32 = 1000
        for _ in 0..<2000 {
            let id = Int.random(in: 0..<6, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0 where pool[id].worker == nil:
                let fresh = worker(pool, id, pid: nextPID)
                pool.add(fresh, asReplacement: false)
                live.append(fresh)
            case 1 where pool[id].replacement == nil && pool[id].worker != nil:
                let replacement = worker(pool, id, pid: nextPID)
                pool.add(replacement, asReplacement: true)
                live.append(replacement)
            case 2 where !live.isEmpty:
                let target = live[Int.random(in: 0..<live.count, using: &generator)]
                if pool.workerBecameReady(target) { _ = pool.promote(target) }
            case 3 where !live.isEmpty:
                let gone = live.remove(at: Int.random(in: 0..<live.count, using: &generator))
                if !pool.vacate(gone), !pool.dropReplacement(gone) { continue }
                pool.promoteWaitingReplacement(at: gone.workerID)
            default:
                continue
            }
            nextPID += 1
            #expect(pool.readyCount == recountedReady(pool), "seed \(seed)")
        }
    }
}
