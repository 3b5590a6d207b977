/// A service's worker id: the position a worker fills, kept across respawns (its record is
/// the pool's ``SlotRecord``); the key of a slot's respawn deadline and early failures.
struct WorkerSlot: Hashable {
    /// The service.
    let service: ServiceID
    /// The worker id, `0..<workers`.
    let workerID: Int
}
