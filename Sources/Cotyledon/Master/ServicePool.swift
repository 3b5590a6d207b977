/// The workers of one service, one ``SlotRecord`` per worker id, with its rolling restart.
///
/// Every change of a slot goes through the pool, which keeps the count of ready workers
/// filling their slot as a slot changes (the master reads it at every readiness report
/// and every status update, so it is not recounted) and notes when a slot may be empty.
/// ``missingWorkerIDs(isWaitingForRespawn:)`` compares the desired count with the slots.
final class ServicePool {
    /// The service, with its live settings and desired worker count.
    let service: ServiceRegistration
    /// The slots by worker id; ids at or above the desired count keep their history.
    private var slots: [SlotRecord] = []
    /// The service's rolling restart in progress, if any.
    var roll: RollingRestart?
    /// Unrequested exits of the service's workers that were respawned.
    private(set) var restarts = 0
    /// Workers that reported ready and fill their slot.
    private(set) var readyCount = 0
    /// Whether some slot may be empty: set when a slot is vacated or the desired count
    /// changes or a respawn delay ends, cleared by a scan that found none to fill.
    private(set) var mayHaveEmptySlots = true

    /// An empty pool for `service`.
    init(service: ServiceRegistration) {
        self.service = service
    }

    /// The record of worker id `workerID` (an empty one for an id never used).
    subscript(workerID: Int) -> SlotRecord {
        slots.indices.contains(workerID) ? slots[workerID] : SlotRecord()
    }

    /// Whether every desired worker fills its slot and is ready.
    var isFullyReady: Bool {
        readyCount == service.desiredWorkers
    }

    // MARK: - Filling

    /// Records a worker just forked, in its slot or, for a `replacement`, beside it.
    ///
    /// - Returns: whether the slot had a worker before (the fork is a respawn).
    @discardableResult
    func add(_ worker: WorkerRecord, asReplacement replacement: Bool) -> Bool {
        let isRespawn = self[worker.workerID].hasStarted
        update(worker.workerID) { slot in
            slot.hasStarted = true
            if replacement { slot.replacement = worker } else { slot.worker = worker }
        }
        return isRespawn
    }

    /// Marks `worker` ready.
    ///
    /// - Returns: whether it is the replacement waiting for its slot (to be promoted).
    func workerBecameReady(_ worker: WorkerRecord) -> Bool {
        update(worker.workerID) { _ in worker.isReady = true }
        return self[worker.workerID].replacement === worker
    }

    /// A ready replacement takes its slot.
    ///
    /// - Returns: the worker it replaces, for the master to stop, if one still filled the slot.
    func promote(_ replacement: WorkerRecord) -> WorkerRecord? {
        var replaced: WorkerRecord?
        update(replacement.workerID) { slot in
            replaced = slot.worker
            slot.worker = replacement
            slot.replacement = nil
        }
        return replaced
    }

    // MARK: - Emptying

    /// Takes `worker` out of its slot (it exits or is being stopped).
    ///
    /// - Returns: whether it filled the slot.
    @discardableResult
    func vacate(_ worker: WorkerRecord) -> Bool {
        guard self[worker.workerID].worker === worker else { return false }
        update(worker.workerID) { $0.worker = nil }
        return true
    }

    /// Forgets `worker` as the waiting replacement of its slot.
    ///
    /// - Returns: whether it was the waiting replacement.
    @discardableResult
    func dropReplacement(_ worker: WorkerRecord) -> Bool {
        guard self[worker.workerID].replacement === worker else { return false }
        update(worker.workerID) { $0.replacement = nil }
        return true
    }

    /// Lets the replacement waiting beside the empty slot `workerID` fill it (the worker
    /// it was to replace died meanwhile).
    func promoteWaitingReplacement(at workerID: Int) {
        guard self[workerID].worker == nil, self[workerID].replacement != nil else { return }
        update(workerID) { slot in
            slot.worker = slot.replacement
            slot.replacement = nil
        }
    }

    /// Records how the last worker of slot `workerID` ended.
    func recordExit(at workerID: Int, status: WorkerExitStatus) {
        update(workerID) { $0.lastExit = status.token }
    }

    /// Counts an unrequested exit of slot `workerID` that is respawned, the slot's workers
    /// having now failed early `earlyFailures` times in a row.
    func countRestart(at workerID: Int, earlyFailures: Int) {
        restarts += 1
        update(workerID) { slot in
            slot.restarts += 1
            slot.earlyFailures = earlyFailures
        }
    }

    /// Slot `workerID` is no longer wanted (scaled down): its early failures are forgotten,
    /// so a later scale-up starts it without a backoff.
    func scaledAway(_ workerID: Int) {
        update(workerID) { $0.earlyFailures = 0 }
    }

    /// Notes that a slot may be empty (a respawn delay ended, the desired count changed).
    func slotMayBeEmpty() {
        mayHaveEmptySlots = true
    }

    // MARK: - Desired and actual

    /// The worker count one `step` away from the desired one, or `nil` when it would leave
    /// the service's `min_workers...max_workers` (`SIGTTIN`/`SIGTTOU` are then ignored).
    func workerCount(resizedBy step: Int) -> Int? {
        let count = service.desiredWorkers + step
        return (service.configuration.minWorkers...service.configuration.maxWorkers).contains(count) ? count : nil
    }

    /// The desired ids with no worker and no respawn delay pending, lowest first; clears
    /// ``mayHaveEmptySlots`` (the caller sets it again if it stops before filling them).
    func missingWorkerIDs(isWaitingForRespawn: (Int) -> Bool) -> [Int] {
        guard mayHaveEmptySlots else { return [] }
        mayHaveEmptySlots = false
        return (0..<service.desiredWorkers).filter { self[$0].worker == nil && !isWaitingForRespawn($0) }
    }

    /// The ids of the workers filling the desired slots, with their pids, lowest first.
    var filledSlots: [(workerID: Int, worker: WorkerRecord)] {
        (0..<min(service.desiredWorkers, slots.count)).compactMap { id in slots[id].worker.map { (id, $0) } }
    }

    // MARK: - In-place upgrade

    /// Every slot's history, for the upgrade state.
    var slotHistory: [UpgradeState.Slot] {
        slots.indices.map { id in
            UpgradeState.Slot(workerID: id, restarts: slots[id].restarts, earlyFailures: slots[id].earlyFailures,
                              lastExit: slots[id].lastExit, hasStarted: slots[id].hasStarted)
        }
    }

    /// Restores the history the master's previous image kept: the service's restart count
    /// and each slot's counters, before its workers are adopted.
    func restoreHistory(_ history: [UpgradeState.Slot], restarts: Int) {
        self.restarts = restarts
        for slot in history where slot.workerID >= 0 && slot.workerID < ServiceManager.maximumWorkers {
            update(slot.workerID) { record in
                record.restarts = slot.restarts
                record.earlyFailures = slot.earlyFailures
                record.lastExit = slot.lastExit
                record.hasStarted = slot.hasStarted
            }
        }
    }

    /// Changes slot `workerID` (growing the table for a new id), keeping ``readyCount`` and
    /// ``mayHaveEmptySlots`` in step with it: the one place a slot changes.
    private func update(_ workerID: Int, _ change: (inout SlotRecord) -> Void) {
        while slots.count <= workerID { slots.append(SlotRecord()) }
        let wasReady = slots[workerID].isReady
        let wasFilled = slots[workerID].worker != nil
        change(&slots[workerID])
        readyCount += (slots[workerID].isReady ? 1 : 0) - (wasReady ? 1 : 0)
        if wasFilled && slots[workerID].worker == nil { mayHaveEmptySlots = true }
    }
}
