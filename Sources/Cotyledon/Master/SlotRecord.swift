/// One worker id of a service's pool, kept across respawns: the worker filling it, the
/// replacement a rolling restart started for it, and what `status` reports of its past.
struct SlotRecord {
    /// The worker filling the slot; a worker being stopped no longer fills it.
    var worker: WorkerRecord?
    /// A replacement forked by a rolling restart, waiting to become ready and take the slot.
    var replacement: WorkerRecord?
    /// Unrequested exits of the slot's workers that were respawned.
    var restarts = 0
    /// Workers of the slot that died before their service's minimum uptime, in a row: the
    /// backoff before the next respawn grows with it (see ``CrashPolicy``).
    var earlyFailures = 0
    /// How the slot's last worker ended (``WorkerExitStatus/token``), if one did.
    var lastExit: String?
    /// Whether a worker was ever forked for the slot: the next one is a respawn.
    var hasStarted = false

    /// Whether the slot is filled by a worker that reported ready.
    var isReady: Bool {
        worker?.isReady ?? false
    }
}
