import Logging

/// Rolling restarts (see ``RollingRestart``): reloads, `restart` requests and recycling.
extension Master {
    /// Restarts every worker of `service` through a readiness-gated roll (control socket).
    func restart(_ service: ServiceRegistration) {
        let pool = pools[service.id.rawValue]
        if let roll = pool.roll {
            for (workerID, worker) in pool.filledSlots {
                roll.enqueue(RollingRestart.Target(workerID: workerID, pid: worker.pid))
            }
        } else {
            startRoll(of: pool)
        }
    }

    /// Replaces one worker the same way (control socket).
    func restart(_ worker: WorkerRecord) {
        replaceThroughRoll(worker, reason: "restarting worker(\(worker.workerID))")
    }

    /// Replaces `worker` (older than its service's `max_lifetime`) through the service's roll.
    func recycle(_ worker: WorkerRecord) {
        worker.recycleAt = nil
        logger.info("\(worker.label) reached its maximum lifetime: recycling it",
                    metadata: workerFields(worker, event: .recycle))
        replaceThroughRoll(worker, reason: "recycling worker(\(worker.workerID))")
    }

    /// Appends `worker` to its service's roll, or starts a roll of it alone for `reason`.
    private func replaceThroughRoll(_ worker: WorkerRecord, reason: String) {
        let pool = pools[worker.service.id.rawValue]
        let target = RollingRestart.Target(workerID: worker.workerID, pid: worker.pid)
        if let roll = pool.roll {
            roll.enqueue(target)
        } else {
            startRoll(of: pool, targets: [target], reason: reason)
        }
    }

    /// Starts a roll of every worker of `pool`.
    func startRoll(of pool: ServicePool) {
        pool.roll = fullRoll(of: pool)
        advanceRoll(of: pool)
    }

    /// A roll of every worker of `pool`, logged, not started yet.
    func fullRoll(of pool: ServicePool) -> RollingRestart {
        let targets = pool.filledSlots.map { RollingRestart.Target(workerID: $0.workerID, pid: $0.worker.pid) }
        return loggedRoll(of: pool, targets: targets, reason: "\(targets.count) workers, one at a time")
    }

    private func startRoll(of pool: ServicePool, targets: [RollingRestart.Target], reason: String) {
        pool.roll = loggedRoll(of: pool, targets: targets, reason: reason)
        advanceRoll(of: pool)
    }

    /// A roll of `targets` in `pool`, logged as started for `reason`.
    private func loggedRoll(of pool: ServicePool, targets: [RollingRestart.Target], reason: String) -> RollingRestart {
        logger.info("rolling restart of \(pool.service.name): \(reason)",
                    metadata: ["event": .event(.rollStarted), "service": "\(pool.service.name)", "workers": "\(targets.count)"])
        return RollingRestart(targets: targets)
    }

    /// Starts the next replacement, or finishes the roll when none is left.
    func advanceRoll(of pool: ServicePool) {
        guard let roll = pool.roll else { return }
        let service = pool.service
        roll.current = nil
        deadlines.cancel(.rollReadiness(service.id))
        while let target = roll.next() {
            // An empty slot (a delayed respawn) or a worker forked since the target was
            // queued starts with the new settings anyway.
            guard target.workerID < service.desiredWorkers, let old = pool[target.workerID].worker, old.pid == target.pid,
                  pool[target.workerID].replacement == nil else { continue }
            guard let replacement = spawn(in: pool, workerID: target.workerID, replacement: true) else {
                abortRoll(of: pool, because: "cannot fork a replacement for \(old.label)")
                return
            }
            roll.current = replacement
            deadlines.schedule(.rollReadiness(service.id), at: .now + service.configuration.readinessTimeout)
            return
        }
        pool.roll = nil
        logger.info("rolling restart of \(service.name) complete", metadata: ["event": .event(.rollComplete), "service": "\(service.name)"])
        metrics.increment(.rollingRestarts, ["service": service.name, "result": "complete"])
        rollFinished()
    }

    /// Bookkeeping when a worker that is, or waits for, a replacement exits; also lets a
    /// waiting replacement take the slot of a worker that died meanwhile.
    func replacementExited(_ worker: WorkerRecord, status: WorkerExitStatus) {
        let pool = pools[worker.service.id.rawValue]
        if pool.dropReplacement(worker) {
            if pool.roll?.current === worker {
                abortRoll(of: pool, because: "replacement \(worker.label) \(status) before it was ready")
            }
        } else {
            pool.promoteWaitingReplacement(at: worker.workerID)
        }
    }

    /// Stops the roll: the waiting replacement is stopped, the old workers stay.
    func abortRoll(of pool: ServicePool, because reason: String) {
        guard let roll = pool.roll else { return }
        let service = pool.service
        pool.roll = nil
        deadlines.cancel(.rollReadiness(service.id))
        if let current = roll.current, pool.dropReplacement(current) {
            requestStop(of: current, reason: .reload, fast: false)
        }
        let message = "rolling restart of \(service.name) aborted, old workers kept: \(reason)"
        lifecycle.rollAborted(message)
        logger.error("\(message)", metadata: ["event": .event(.rollAborted), "service": "\(service.name)", "error": "\(reason)"])
        metrics.increment(.rollingRestarts, ["service": service.name, "result": "aborted"])
        rollFinished()
    }
}
