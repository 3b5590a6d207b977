import Logging

/// Health: hung workers (heartbeats), lifetimes (recycling) and systemd's watchdog.
extension Master {
    /// How often lifetimes are checked for recycling.
    static let lifetimeCheckInterval: Duration = .seconds(1)

    /// Sets the next heartbeat check (half the shortest heartbeat timeout) and lifetime
    /// check, or none when no service needs them: no timer is armed for nothing.
    func scheduleHealthChecks() {
        let now = MonotonicInstant.now
        deadlines.update(.heartbeatCheck, to: pools.compactMap(\.service.heartbeatTimeout).min().map { now + $0 / 2 })
        deadlines.update(.lifetimeCheck,
                         to: pools.contains { $0.service.configuration.maxLifetime != nil } ? now + Self.lifetimeCheckInterval : nil)
    }

    /// Recycles the workers filling a slot whose lifetime is over.
    func recycleWorkersPastLifetime(now: MonotonicInstant) {
        for pool in pools {
            for (_, worker) in pool.filledSlots {
                if let due = worker.recycleAt, due <= now { recycle(worker) }
            }
        }
    }

    /// SIGABRT to workers whose heartbeat is older than their service's timeout (Swift's
    /// backtracer prints where they are stuck), SIGKILL to their group after the same
    /// time again. The exit then counts as a crash and the worker is respawned.
    func checkHeartbeats(now: MonotonicInstant) {
        guard let heartbeats = forkContext.heartbeats else { return }
        for worker in children.workers.values {
            guard let timeout = worker.service.heartbeatTimeout, let slot = worker.heartbeatSlot,
                  worker.stopRequest == nil else { continue }
            if let abortedAt = worker.abortedAt {
                guard now - abortedAt >= timeout else { continue }
                logger.error("\(worker.label) is still hung \(timeout) after SIGABRT: sending SIGKILL to its process group",
                             metadata: workerFields(worker, event: .heartbeatKill))
                worker.sendToGroup(.kill)
                worker.heartbeatSlot = nil
                heartbeats.release(slot)
                continue
            }
            let lastSign = max(heartbeats.lastBeat(slot) ?? worker.startedAt, worker.startedAt)
            guard now - lastSign > timeout else { continue }
            logger.error("\(worker.label) missed its heartbeat for \((now - lastSign).secondsValue) s (timeout \(timeout)): sending SIGABRT",
                         metadata: workerFields(worker, event: .heartbeatTimeout))
            metrics.increment(.heartbeatTimeouts, ["service": worker.service.name])
            worker.abortedAt = now
            worker.send(.abort)
        }
    }

    /// Sends `WATCHDOG=1` when due. Called from the loop itself (a stuck loop stops the
    /// pings and systemd steps in) and between forks of a big start-up.
    func pingWatchdogIfDue(now: MonotonicInstant = .now) {
        guard let ping = deadlines.instant(of: .watchdogPing), ping <= now else { return }
        pingWatchdog(now: now)
    }

    /// Sends `WATCHDOG=1` and arms the next ping.
    func pingWatchdog(now: MonotonicInstant) {
        guard let interval = notifier.watchdogInterval else { return }
        notifier.watchdogPing()
        deadlines.schedule(.watchdogPing, at: now + interval)
    }
}
