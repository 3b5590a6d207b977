import Glibc
import Logging
import SystemPackage

/// Workers: forking the missing ones, reading their messages, reaping them, and what an
/// exit leads to under the crash policy.
extension Master {
    // MARK: - Forking

    /// Forks a worker for every desired slot left empty, as gunicorn's `manage_workers`
    /// compares the desired count with the actual one; only pools where a slot may be
    /// empty are scanned. The missing workers of a pool are forked in bursts of
    /// ``forkBurst`` (see ``forkBurst(in:workerIDs:)``), a stop signal ending them early.
    func spawnMissingWorkers() {
        guard lifecycle.isSupervising else { return }
        for pool in pools {
            let missing = pool.missingWorkerIDs { workerID in
                deadlines.instant(of: .respawn(WorkerSlot(service: pool.service.id, workerID: workerID))) != nil
            }
            var next = 0
            while next < missing.count {
                let burst = missing[next..<min(next + Self.forkBurst, missing.count)]
                let (forked, complete) = forkBurst(in: pool, workerIDs: burst)
                for child in forked {
                    record(child, in: pool, replacement: false)
                }
                pingWatchdogIfDue()
                guard complete else {
                    pool.slotMayBeEmpty()
                    return
                }
                next += burst.count
            }
        }
    }

    /// Forks a worker for `workerID`; a `replacement` waits beside its slot until ready.
    @discardableResult
    func spawn(in pool: ServicePool, workerID: Int, replacement: Bool = false) -> WorkerRecord? {
        fflush(nil) // or the child would print the master's buffered output again
        guard let child = forkWorker(in: pool, workerID: workerID) else { return nil }
        return record(child, in: pool, replacement: replacement)
    }

    /// A worker forked, not recorded yet.
    struct ForkedWorker {
        let workerID: Int
        let pid: pid_t
        let messages: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let heartbeatSlot: Int?
    }

    /// Forks the workers `workerIDs` of `pool` one after the other, doing nothing else in
    /// between, and leaves their records to the caller; stops early when a stop signal is
    /// waiting (`complete` is then false).
    ///
    /// After a fork every page of the master is shared with the child until one of them
    /// writes it: each page the master writes before its next fork costs a copy. Recording
    /// a worker (its record, the tables, metrics, the log line) writes some twenty pages, so
    /// the records of a burst are made after its last fork, once.
    private func forkBurst(in pool: ServicePool, workerIDs: ArraySlice<Int>) -> (forked: [ForkedWorker], complete: Bool) {
        var forked: [ForkedWorker] = []
        forked.reserveCapacity(workerIDs.count)
        fflush(nil) // once: nothing prints between the forks of a burst
        for workerID in workerIDs {
            guard !stopSignalPending else { return (forked, false) }
            if let child = forkWorker(in: pool, workerID: workerID) { forked.append(child) }
        }
        return (forked, true)
    }

    /// Forks the worker `workerID` of `pool` with a fresh message pipe; the child runs the
    /// worker and never returns. `nil` when the fork failed (logged, respawn in 1 s).
    private func forkWorker(in pool: ServicePool, workerID: Int) -> ForkedWorker? {
        let service = pool.service
        // Taken before the fork: the value and the generation the worker starts with.
        let settings = forkContext.settings?.forWorker
        let messages: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let child: pid_t
        do {
            messages = try Syscall.pipe()
        } catch {
            forkFailed(service, workerID: workerID, error: error)
            return nil
        }
        do {
            child = try Syscall.fork()
        } catch {
            Syscall.close(messages.readEnd)
            Syscall.close(messages.writeEnd)
            forkFailed(service, workerID: workerID, error: error)
            return nil
        }
        // Both sides take the same slot: the board's state was copied by the fork.
        let heartbeatSlot = service.heartbeatTimeout == nil ? nil : forkContext.heartbeats?.allocate()
        if child == 0 {
            WorkerProcess.run(WorkerLaunch(
                service: service, workerID: workerID, context: forkContext, messagesWriteEnd: messages.writeEnd,
                heartbeatSlot: heartbeatSlot, settings: settings, newWorkerHooks: hooks.newWorker, logger: logger))
        }
        return ForkedWorker(workerID: workerID, pid: child, messages: messages, heartbeatSlot: heartbeatSlot)
    }

    private func forkFailed(_ service: ServiceRegistration, workerID: Int, error: Errno) {
        deadlines.schedule(.respawn(WorkerSlot(service: service.id, workerID: workerID)), at: .now + .seconds(1))
        logger.error("cannot fork \(service.name) worker(\(workerID)): \(error); retrying in 1 s",
                     metadata: ["event": .event(.forkFailed), "service": "\(service.name)", "worker": "\(workerID)", "error": "\(error)"])
    }

    /// Makes the master's record of `child`: its process group (which the child also sets
    /// itself, whichever runs first), its pipe watched, its slot filled, `worker-started`.
    @discardableResult
    private func record(_ child: ForkedWorker, in pool: ServicePool, replacement: Bool) -> WorkerRecord {
        let service = pool.service
        Syscall.setProcessGroup(of: child.pid, to: child.pid)
        Syscall.close(child.messages.writeEnd)
        try? Syscall.setNonBlocking(child.messages.readEnd)
        do {
            try events.add(child.messages.readEnd, token: UInt64(child.pid))
        } catch {
            logger.error("cannot watch \(service.name) worker(\(child.workerID))'s pipe: \(error)",
                         metadata: ["event": .event(.epollFailed), "service": "\(service.name)", "worker": "\(child.workerID)"])
        }
        let worker = WorkerRecord(service: service, workerID: child.workerID, pid: child.pid, messages: child.messages.readEnd,
                                  startedAt: .now, build: "\(upgradeContext.build)")
        if let lifetime = service.configuration.maxLifetime {
            let spread = 1 - service.configuration.lifetimeJitter * Double.random(in: 0...1)
            worker.recycleAt = worker.startedAt + .saturating(seconds: lifetime.secondsValue * spread)
        }
        worker.heartbeatSlot = child.heartbeatSlot
        children.workers[child.pid] = worker
        let isRespawn = pool.add(worker, asReplacement: replacement)
        metrics.increment(.workerStarts, ["service": service.name])
        var fields = workerFields(worker, event: .workerStarted)
        fields["respawn"] = "\(isRespawn)"
        logger.info("\(worker.label) \(replacement ? "started as a replacement" : isRespawn ? "respawned" : "started")", metadata: fields)
        return worker
    }

    // MARK: - Messages

    /// Reads what `worker` wrote to its message pipe, until the pipe is empty or closed.
    func readMessages(from worker: WorkerRecord) {
        guard let messages = worker.messages else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count: Int?
            do {
                count = try Syscall.read(messages, into: &buffer)
            } catch {
                count = 0
            }
            guard let count else { return }
            if count == 0 {
                // The worker exited or closed its end: closing also removes it from epoll;
                // the reap follows.
                Syscall.close(messages)
                worker.messages = nil
                return
            }
            let (decoded, skipped) = worker.messageDecoder.decode(buffer.prefix(count))
            if skipped > 0 {
                logger.warning("\(worker.label) sent \(skipped) bytes that start no message; skipped",
                               metadata: ["event": .event(.protocolError), "bytes": "\(skipped)"])
            }
            for message in decoded {
                switch message {
                case .ready: workerBecameReady(worker)
                case .exitingForReload: worker.announcedReloadExit = true
                case .stoppedByOutsideSignal(let signal, let sender): worker.outsideSignal = (signal, sender)
                }
            }
        }
    }

    private func workerBecameReady(_ worker: WorkerRecord) {
        guard !worker.isReady else { return }
        let pool = pools[worker.service.id.rawValue]
        let isWaitingReplacement = pool.workerBecameReady(worker)
        crashPolicy.workerBecameReady(in: worker.service.id)
        logger.info("\(worker.label) ready", metadata: workerFields(worker, event: .workerReady))
        if isWaitingReplacement, let replaced = pool.promote(worker) {
            requestStop(of: replaced, reason: .reload, fast: false)
        }
        if pool.roll?.current === worker {
            advanceRoll(of: pool)
        }
        reportAllReadyIfComplete()
    }

    /// Sends `READY=1` the first time every service has all its workers ready.
    private func reportAllReadyIfComplete() {
        guard case .starting = lifecycle, pools.allSatisfy(\.isFullyReady), lifecycle.allWorkersReady() else { return }
        let total = services.reduce(0) { $0 + $1.desiredWorkers }
        deadlines.cancel(.startup)
        logger.info("all \(total) workers ready", metadata: ["event": .event(.allReady), "workers": "\(total)"])
        notifier.ready(status: statusLine())
    }

    // MARK: - Reaping

    /// Reaps the children that exited, at most ``reapBatch`` in one turn of the loop (the
    /// next turns take the rest without waiting: ``reapBacklog``). A worker's process group
    /// is signalled before its zombie is reaped, while the group's id (the worker's pid)
    /// cannot have been reused.
    ///
    /// While supervising, what a worker left in its group is counted first, from a
    /// ``GroupCensus`` the batch shares; while stopping it is not (see
    /// ``watchLeftovers(of:count:)``), so a stop costs no look at `/proc` per exit.
    func reapChildren() {
        var census = GroupCensus()
        var reaped = 0
        defer { reapBacklog = reaped == Self.reapBatch }
        let childSignal = SignalSet([.child])
        // Ends when no child has exited, or none is left (ECHILD), or the batch is full.
        while reaped < Self.reapBatch, let pid = try? Syscall.exitedChild() {
            reaped += 1
            let worker = children.workers[pid]
            let counting = lifecycle.isSupervising && (worker != nil || children.vanishedWorkers[pid] != nil)
            // A child exited since the census was taken: its children may be missing from it.
            if counting, Syscall.takePendingSignal(in: childSignal) { census.invalidate() }
            let left = counting ? census.membersBesidesLeader(pid, adoptedProcesses: children.adoptedProcesses) : 0
            if let worker {
                worker.sendToGroup(.terminate)
                worker.sendToGroup(.continue)
            }
            // A vanished service's worker that leaves nobody in its group: the group's kill
            // deadline goes with it, before its id can be reused.
            if children.vanishedWorkers[pid] != nil, !lifecycle.isSupervising || left == 0 {
                children.leftoverGroups[pid] = nil
                deadlines.cancel(.killLeftoverGroup(pid))
            }
            // Whatever the check run started in its group goes with it, while its zombie
            // still holds the group's id.
            if let check = children.upgradeCheck, check.pid == pid { Syscall.send(.kill, toGroup: pid) }
            guard let raw = try? Syscall.reap(pid) else { return }
            let status = WorkerExitStatus(waitStatus: raw)
            if let check = children.upgradeCheck, check.pid == pid {
                children.upgradeCheck = nil
                upgradeCheckEnded(check, status: status)
            } else if let worker {
                children.workers[pid] = nil
                workerExited(worker, status: status)
                if left > 0 { watchLeftovers(of: worker, count: left) }
            } else if let vanished = children.vanishedWorkers.removeValue(forKey: pid) {
                vanishedWorkerExited(vanished, pid: pid, status: status)
            } else {
                // As PID 1 or a subreaper, orphans of other processes end up here.
                logger.info("reaped process \(pid), not a worker: \(status)",
                            metadata: ["event": .event(.reapedOther), "pid": "\(pid)", "status": "\(status.token)"])
            }
        }
    }

    private func workerExited(_ worker: WorkerRecord, status: WorkerExitStatus) {
        readMessages(from: worker)
        worker.closeDescriptors()
        let pool = pools[worker.service.id.rawValue]
        pool.recordExit(at: worker.workerID, status: status)
        if let slot = worker.heartbeatSlot { forkContext.heartbeats?.release(slot) }
        pool.vacate(worker)
        replacementExited(worker, status: status)
        deadlines.cancel(.killWorker(worker.pid))
        let reason = exitReason(of: worker)
        logExit(of: worker, status: status, reason: reason)
        let service = ServiceIdentity(id: worker.service.id, name: worker.service.name)
        for hook in hooks.deadWorker {
            runHook("dead-worker", hook.name) { try hook.body(service, worker.workerID, status) }
        }
        guard lifecycle.isSupervising else { return }
        let now = MonotonicInstant.now
        let policy = worker.service.configuration.restart
        let exit = CrashPolicy.Exit(
            slot: worker.slot, serviceName: worker.service.name, reason: reason, uptime: now - worker.startedAt,
            slotIsToBeRefilled: worker.workerID < worker.service.desiredWorkers && pool[worker.workerID].worker == nil,
            earlyFailuresBefore: pool[worker.workerID].earlyFailures, at: now)
        var random = SystemRandomNumberGenerator()
        switch crashPolicy.decide(after: exit, under: policy, using: &random) {
        case .noRestart:
            return
        case .giveUp(let exitCode, let why):
            giveUp(exitCode, because: why)
        case .respawnNow:
            countRestart(of: worker, earlyFailures: exit.earlyFailures(under: policy))
        case .respawn(let instant, let delay, let failures):
            countRestart(of: worker, earlyFailures: failures)
            delayRespawn(of: worker, until: instant, delay: delay, earlyFailures: failures)
        }
    }

    /// Why `worker` ended: the stop the master requested, else what the worker said
    /// before exiting (a reload, an outside signal), else a crash or a failure before ready.
    private func exitReason(of worker: WorkerRecord) -> WorkerExitReason {
        if let requested = worker.stopRequest { return requested }
        if worker.announcedReloadExit { return .reload }
        if worker.outsideSignal != nil { return .outsideSignal }
        return worker.isReady ? .crash : .failedBeforeReady
    }

    /// Logs `worker`'s exit (an error when it was a failure, a warning with the sender's
    /// pid when an outside signal stopped it) and counts it in the metrics.
    private func logExit(of worker: WorkerRecord, status: WorkerExitStatus, reason: WorkerExitReason) {
        metrics.increment(.workerExits, ["service": worker.service.name, "reason": reason.rawValue])
        if case .killed(let signal, _) = status {
            metrics.increment(.workerSignals, ["service": worker.service.name, "signal": "\(signal)"])
        }
        var fields = workerFields(worker, event: .workerExited)
        fields["status"] = "\(status.token)"
        fields["reason"] = "\(reason.rawValue)"
        if reason == .outsideSignal, let (signal, sender) = worker.outsideSignal {
            fields["signal"] = "\(signal)"
            fields["sender"] = "\(sender)"
            logger.warning("\(worker.label) \(status), stopped by \(signal) from pid \(sender), not the master; respawning at once",
                           metadata: fields)
            return
        }
        let message: Logger.Message = "\(worker.label) \(status)"
        if reason.isFailure { logger.error(message, metadata: fields) } else { logger.info(message, metadata: fields) }
    }

    /// Keeps `worker`'s slot empty until `instant`, after its `earlyFailures` in a row.
    private func delayRespawn(of worker: WorkerRecord, until instant: MonotonicInstant, delay: Duration, earlyFailures: Int) {
        deadlines.schedule(.respawn(worker.slot), at: instant)
        var fields = workerFields(worker, event: .respawnDelayed)
        fields["delay"] = "\(delay.secondsValue)"
        fields["failures"] = "\(earlyFailures)"
        logger.warning("\(worker.service.name) worker(\(worker.workerID)) failed \(earlyFailures) times in a row within \(worker.service.configuration.restart.minimumUptime): respawn in \(delay.secondsValue) s", metadata: fields)
    }

    /// Counts an unrequested exit whose slot is refilled, for `status`, the metrics and the
    /// slot's backoff.
    private func countRestart(of worker: WorkerRecord, earlyFailures: Int) {
        pools[worker.service.id.rawValue].countRestart(at: worker.workerID, earlyFailures: earlyFailures)
        metrics.increment(.workerRestarts, ["service": worker.service.name])
    }
}
