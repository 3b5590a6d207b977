/// A service's worker id: the position a worker fills, kept across respawns.
struct WorkerSlot: Hashable {
    let service: ServiceID
    let workerID: Int
}
