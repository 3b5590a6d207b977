import Logging

/// Reload (SIGHUP): the one reload contract.
///
/// 1. The configuration is read again (``ServiceManager/reloadConfiguration(with:)``).
///    If that fails, nothing changes: the error is logged, `STATUS=reload failed: …`,
///    and `READY=1` still follows `RELOADING=1`.
/// 2. Reload hooks run.
/// 3. Each service takes its new settings and its configured worker count (undoing
///    SIGTTIN/SIGTTOU): extra workers are stopped (highest ids first), missing ones forked.
/// 4. A service that reloads in place and whose settings did not change gets SIGHUP in
///    each worker (`reload()`, same pids). Every other service gets a rolling restart.
/// 5. `READY=1` once every rolling restart is over. A SIGHUP during a roll is queued:
///    however many arrive, one more reload runs after the roll, with the file as it is then.
extension Master {
    func reload() {
        guard rolls.isEmpty else {
            if !reloadQueued {
                logger.info("reload queued: a rolling restart is in progress", metadata: ["event": .event(.reloadQueued)])
            }
            reloadQueued = true
            return
        }
        logger.info("reloading", metadata: ["event": .event(.reloading)])
        notifier.reloading()
        reloadFailure = nil
        let new: ManagerConfiguration
        do {
            new = try loadConfiguration?() ?? configuration
            let unknown = Set(new.services.keys).subtracting(services.map(\.name))
            if let name = unknown.sorted().first {
                throw ReloadError(description: "service \"\(name)\" is not running; adding a service needs a restart of the daemon")
            }
        } catch {
            logger.error("reload failed, keeping the running configuration: \(error)",
                         metadata: ["event": .event(.reloadFailed), "error": "\(error)"])
            metrics.increment(.reloads, ["result": "failed"])
            notifier.send("READY=1", "STATUS=reload failed: \(error)")
            answerReloadWaiters(failure: "\(error)")
            return
        }
        for hook in hooks.reload {
            runHook("reload", hook.name) { try hook.body() }
        }
        configuration = new
        logger.logLevel = new.logLevel
        DaemonLogLevel.shared?.level = new.logLevel
        reloadInProgress = true
        for service in services {
            let settings = new.services[service.name] ?? service.configuration
            let change = ConfigurationDiff.change(from: service.configuration, to: settings)
            service.apply(settings, defaultGracefulShutdownTimeout: new.gracefulShutdownTimeout)
            scale(service, to: settings.workers)
            if service.reloadsInPlace && change != .changed {
                for workerID in 0..<service.desiredWorkers {
                    slots[WorkerSlot(service: service.id, workerID: workerID)]?.send(.hangup)
                }
            } else {
                startRoll(of: service)
            }
        }
        scheduleHealthChecks()
        completeReloadIfDone()
    }

    /// Sends `READY=1` when no rolling restart is left, or starts the queued reload.
    func completeReloadIfDone() {
        guard rolls.isEmpty, phase == .running else { return }
        if reloadQueued {
            reloadQueued = false
            reloadInProgress = false
            reload()
            return
        }
        // A roll that only recycled workers completes no reload.
        guard reloadInProgress else { return }
        reloadInProgress = false
        logger.info("reload complete", metadata: ["event": .event(.reloadComplete), "result": "\(reloadFailure == nil ? "success" : "failed")"])
        metrics.increment(.reloads, ["result": reloadFailure == nil ? "success" : "failed"])
        answerReloadWaiters(failure: reloadFailure)
        notifier.ready(status: reloadFailure.map { "reload failed: \($0)" } ?? statusText())
    }

    // MARK: - Rolling restarts

    /// Restarts every worker of `service` through a readiness-gated roll (control socket).
    func restart(_ service: ServiceRegistration) {
        if let roll = rolls[service.id] {
            for workerID in 0..<service.desiredWorkers {
                if let worker = slots[WorkerSlot(service: service.id, workerID: workerID)] {
                    let target = RollingRestart.Target(workerID: workerID, pid: worker.pid)
                    if !roll.remaining.contains(target) { roll.remaining.append(target) }
                }
            }
        } else {
            startRoll(of: service)
        }
    }

    /// Replaces one worker the same way (control socket).
    func restart(_ worker: WorkerRecord) {
        let target = RollingRestart.Target(workerID: worker.workerID, pid: worker.pid)
        if let roll = rolls[worker.service.id] {
            if !roll.remaining.contains(target) { roll.remaining.append(target) }
        } else {
            startRoll(of: worker.service, targets: [target], reason: "restarting worker(\(worker.workerID))")
        }
    }

    private func startRoll(of service: ServiceRegistration) {
        let targets = (0..<service.desiredWorkers).compactMap { workerID in
            slots[WorkerSlot(service: service.id, workerID: workerID)].map { RollingRestart.Target(workerID: workerID, pid: $0.pid) }
        }
        startRoll(of: service, targets: targets, reason: "\(targets.count) workers, one at a time")
    }

    /// Replaces `worker` (older than its service's `max_lifetime`) through the service's roll.
    func recycle(_ worker: WorkerRecord) {
        worker.recycleAt = nil
        let target = RollingRestart.Target(workerID: worker.workerID, pid: worker.pid)
        logger.info("\(worker.label) reached its maximum lifetime: recycling it",
                    metadata: workerFields(worker, event: .recycle))
        if let roll = rolls[worker.service.id] {
            if !roll.remaining.contains(target) { roll.remaining.append(target) }
        } else {
            startRoll(of: worker.service, targets: [target], reason: "recycling worker(\(worker.workerID))")
        }
    }

    private func startRoll(of service: ServiceRegistration, targets: [RollingRestart.Target], reason: String) {
        rolls[service.id] = RollingRestart(service: service, targets: targets)
        logger.info("rolling restart of \(service.name): \(reason)",
                    metadata: ["event": .event(.rollStarted), "service": "\(service.name)", "workers": "\(targets.count)"])
        advanceRoll(of: service)
    }

    /// Starts the next replacement, or finishes the roll when none is left.
    func advanceRoll(of service: ServiceRegistration) {
        guard let roll = rolls[service.id] else { return }
        roll.current = nil
        deadlines.cancel(.rollReadiness(service.id))
        while !roll.remaining.isEmpty {
            let target = roll.remaining.removeFirst()
            let slot = WorkerSlot(service: service.id, workerID: target.workerID)
            // An empty slot (a delayed respawn) or a worker forked since the target was
            // queued starts with the new settings anyway.
            guard target.workerID < service.desiredWorkers, let old = slots[slot], old.pid == target.pid,
                  replacements[slot] == nil else { continue }
            guard let replacement = spawn(service, workerID: target.workerID, replacement: true) else {
                abortRoll(of: service, because: "cannot fork a replacement for \(old.label)")
                return
            }
            roll.current = replacement
            deadlines.schedule(.rollReadiness(service.id), at: .now + service.configuration.readinessTimeout)
            return
        }
        rolls[service.id] = nil
        logger.info("rolling restart of \(service.name) complete", metadata: ["event": .event(.rollComplete), "service": "\(service.name)"])
        metrics.increment(.rollingRestarts, ["service": service.name, "result": "complete"])
        completeReloadIfDone()
    }

    /// A ready replacement takes its slot; the worker it replaces is stopped.
    func promoteReplacement(_ replacement: WorkerRecord) {
        let slot = replacement.slot
        replacements[slot] = nil
        if let old = slots[slot] {
            requestStop(of: old, reason: .reload, fast: false)
        }
        slots[slot] = replacement
        readyWorkers[replacement.service.id, default: 0] += 1
    }

    /// Bookkeeping when a worker that is, or waits for, a replacement exits; also lets a
    /// waiting replacement take the slot of a worker that died meanwhile.
    func replacementExited(_ worker: WorkerRecord, status: WorkerExitStatus) {
        let slot = worker.slot
        if replacements[slot] === worker {
            replacements[slot] = nil
            if rolls[worker.service.id]?.current === worker {
                abortRoll(of: worker.service, because: "replacement \(worker.label) \(status) before it was ready")
            }
        } else if slots[slot] == nil, let waiting = replacements.removeValue(forKey: slot) {
            slots[slot] = waiting
            if waiting.isReady { readyWorkers[waiting.service.id, default: 0] += 1 }
        }
    }

    /// Stops the roll: the waiting replacement is stopped, the old workers stay.
    func abortRoll(of service: ServiceRegistration, because reason: String) {
        guard let roll = rolls.removeValue(forKey: service.id) else { return }
        deadlines.cancel(.rollReadiness(service.id))
        if let current = roll.current, replacements[current.slot] === current {
            replacements[current.slot] = nil
            requestStop(of: current, reason: .reload, fast: false)
        }
        let message = "rolling restart of \(service.name) aborted, old workers kept: \(reason)"
        reloadFailure = message
        logger.error("\(message)", metadata: ["event": .event(.rollAborted), "service": "\(service.name)", "error": "\(reason)"])
        metrics.increment(.rollingRestarts, ["service": service.name, "result": "aborted"])
        completeReloadIfDone()
    }
}

/// A reload that cannot be applied.
struct ReloadError: Error, CustomStringConvertible {
    let description: String
}
