import CCotyledonLinux
import Glibc
import Logging
import SystemPackage

/// In-place upgrade (SIGUSR2, `upgrade`): the new executable is checked by a run in check
/// mode, watched from the loop; if it passes, the master hands its state to it across
/// `execve` (same pid), and the new image adopts the workers, then rolls them.
extension Master {
    /// What an upgrade request leads to, for the control command's answer.
    enum UpgradeRequestOutcome: Equatable {
        /// The check started, or was under way and the request joined it.
        case checking
        /// Refused at once, for `reason`.
        case refused(reason: String)
    }

    /// Starts an upgrade (`via` names the signal or control command): refused while stopping
    /// and during a reload or rolling restart; joins the check under way.
    @discardableResult
    func requestUpgrade(via trigger: String) -> UpgradeRequestOutcome {
        if case .passed = upgrade {
            return .checking
        }
        if upgrade.check != nil {
            logger.info("upgrade already being checked: \(trigger) joins it", metadata: ["event": .event(.upgradeRequested), "via": "\(trigger)"])
            return .checking
        }
        if case .refuse(let reason) = lifecycle.upgradeRequested(rollsInProgress: pools.contains { $0.roll != nil }) {
            logRefusal(reason)
            return .refused(reason: reason)
        }
        guard let path = upgradeContext.executable else {
            let reason = "the executable this daemon was started from is unknown: set ServiceManager.upgradeExecutable"
            logRefusal(reason)
            return .refused(reason: reason)
        }
        statusNote = nil
        notifier.reloading(status: "upgrading")
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let pid: pid_t
        do {
            pipe = try Syscall.pipe()
        } catch {
            let reason = "cannot create the check's output pipe: \(error)"
            refuseUpgrade(because: reason, answeringWaiters: false)
            return .refused(reason: reason)
        }
        do {
            pid = try Syscall.spawn(path, arguments: upgradeContext.arguments,
                                    environment: UpgradeEnvironment.forCheck(Self.currentEnvironment), output: pipe.writeEnd)
        } catch {
            Syscall.close(pipe.readEnd)
            Syscall.close(pipe.writeEnd)
            let reason = "cannot run \(path): \(error)"
            refuseUpgrade(because: reason, answeringWaiters: false)
            return .refused(reason: reason)
        }
        Syscall.close(pipe.writeEnd)
        logger.info("upgrade requested: checking \(path) [pid \(pid)]",
                    metadata: ["event": .event(.upgradeRequested), "via": "\(trigger)", "path": "\(path)", "pid": "\(pid)"])
        let check = UpgradeCheck(path: path, pid: pid, output: pipe.readEnd)
        children.upgradeCheck = check
        // A pipe the loop cannot read without blocking, or cannot watch, is not read at all:
        // the check is killed, and its reap refuses the upgrade.
        do {
            try Syscall.setNonBlocking(pipe.readEnd)
            try events.add(pipe.readEnd, token: Self.upgradeCheckToken)
        } catch {
            Syscall.close(pipe.readEnd)
            check.output = nil
            check.failure = "cannot watch the output of the check of \(path): \(error)"
            Syscall.send(.kill, toGroup: pid)
        }
        upgrade = .checking(check)
        deadlines.schedule(.upgradeCheck, at: .now + upgradeContext.checkTimeout)
        return .checking
    }

    /// The process's environment now, `NAME=value` entries.
    private static var currentEnvironment: [String] {
        guard let environment = ccotyledon_environ_get() else { return [] }
        var entries: [String] = []
        var index = 0
        while let entry = environment[index] {
            entries.append(String(cString: entry))
            index += 1
        }
        return entries
    }

    private func logRefusal(_ reason: String) {
        logger.error("upgrade refused: \(reason)", metadata: ["event": .event(.upgradeRefused), "error": "\(reason)"])
    }

    /// Refuses the upgrade under way: logged, systemd told, waiters answered (unless the
    /// request that started it is refused at once, its answer saying why); a reload asked
    /// for during the check runs now.
    private func refuseUpgrade(because reason: String, reloadQueued: Bool = false, answeringWaiters: Bool = true) {
        upgrade = .idle
        deadlines.cancel(.upgradeCheck)
        logRefusal(reason)
        reportOperationOver(outcome: "upgrade refused: \(reason)")
        if answeringWaiters { controlServer?.answerWaiters(for: .upgrade, failure: reason) }
        if reloadQueued, lifecycle.isSupervising { reload() }
    }

    // MARK: - The check run

    /// Reads what the check run wrote, until its pipe is empty or closed, at most `limit`
    /// bytes: a check that writes without end cannot hold the loop (epoll reports the rest
    /// at the next turn). Once the check is reaped, what is left is at most the pipe's
    /// capacity, read to the end.
    func readCheckOutput(limit: Int = UpgradeCheck.maximumOutput) {
        guard let check = upgrade.check ?? children.upgradeCheck, let output = check.output else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var read = 0
        while read < limit {
            let count: Int?
            do {
                count = try Syscall.read(output, into: &buffer)
            } catch {
                count = 0
            }
            guard let count else { return }
            if count == 0 {
                Syscall.close(output) // also removes it from epoll
                check.output = nil
                return
            }
            check.append(buffer[0..<count])
            read += count
        }
    }

    /// The check run's deadline passed: its group is killed, and the reap refuses the upgrade.
    func upgradeCheckTimedOut() {
        guard let check = upgrade.check else { return }
        check.timedOut = true
        Syscall.send(.kill, toGroup: check.pid)
    }

    /// A stop began during the check (or after it passed): its group is killed, its
    /// waiters answered.
    func abandonUpgradeCheck() {
        if case .passed = upgrade {
            upgrade = .idle
            controlServer?.answerWaiters(for: .upgrade, failure: "the daemon is stopping")
        }
        guard let check = upgrade.check else { return }
        upgrade = .idle
        deadlines.cancel(.upgradeCheck)
        Syscall.send(.kill, toGroup: check.pid)
        controlServer?.answerWaiters(for: .upgrade, failure: "the daemon is stopping")
    }

    /// The check run was reaped with `status`: the upgrade is refused, or the master execs.
    func upgradeCheckEnded(_ check: UpgradeCheck, status: WorkerExitStatus) {
        readCheckOutput(limit: .max)
        if let output = check.output {
            Syscall.close(output)
            check.output = nil
        }
        guard upgrade.check === check else { return } // abandoned by a stop
        if let failure = check.failure {
            refuseUpgrade(because: failure, reloadQueued: check.reloadQueued)
            return
        }
        if check.timedOut {
            refuseUpgrade(because: "the check of \(check.path) did not finish within \(upgradeContext.checkTimeout)",
                          reloadQueued: check.reloadQueued)
            return
        }
        switch UpgradeCheck.verdict(path: check.path, output: check.text, status: status) {
        case .refuse(let reason):
            refuseUpgrade(because: reason, reloadQueued: check.reloadQueued)
        case .pass(let build):
            deadlines.cancel(.upgradeCheck)
            upgrade = .passed(check, build: build)
        }
    }

    /// Executes the new build once its check passed, at the end of a loop turn: the signals
    /// read with the check's exit are handled (a stop among them abandons the upgrade), and
    /// the ones that arrive from now on stay pending across the `execve`.
    func executePassedUpgrade() {
        guard case .passed(let check, let build) = upgrade else { return }
        if pools.contains(where: { $0.roll != nil }) {
            refuseUpgrade(because: "a rolling restart started during the check; upgrade when it completes",
                          reloadQueued: check.reloadQueued)
            return
        }
        execute(check, build: build)
    }

    // MARK: - Exec

    /// Hands the master's state to `check.path` through `execve`; returns only when the
    /// `execve` failed, the old image going on as before.
    private func execute(_ check: UpgradeCheck, build: String) {
        // Every message the workers wrote so far is read here: a partial one would be lost.
        for worker in children.workers.values { readMessages(from: worker) }
        let state = upgradeState(reloadQueued: check.reloadQueued)
        let memory: FileDescriptor
        do {
            memory = try UpgradeHandover.write(state)
        } catch {
            execFailed(check.path, "cannot write the upgrade state: \(error)", reloadQueued: check.reloadQueued)
            return
        }
        let crossing = state.descriptors + [memory.rawValue]
        do {
            try UpgradeHandover.letCross(crossing)
        } catch {
            Syscall.close(memory)
            execFailed(check.path, "cannot pass the descriptors on: \(error)", reloadQueued: check.reloadQueued)
            return
        }
        logger.notice("upgrading in place: executing \(check.path) (build \(build))",
                      metadata: ["event": .event(.upgradeExec), "path": "\(check.path)", "build": "\(build)",
                                 "workers": "\(state.workers.count)"])
        notifier.watchdogPing()
        notifier.flushBeforeExit()
        fflush(nil)
        let error = Syscall.execute(check.path, arguments: upgradeContext.arguments,
                                    environment: UpgradeEnvironment.forExec(Self.currentEnvironment, stateDescriptor: memory.rawValue))
        UpgradeHandover.closeOnExec(crossing)
        Syscall.close(memory)
        execFailed(check.path, "exec \(check.path): \(error)", reloadQueued: check.reloadQueued)
    }

    private func execFailed(_ path: String, _ reason: String, reloadQueued: Bool) {
        upgrade = .idle
        logger.error("upgrade failed, the running build goes on: \(reason)",
                     metadata: ["event": .event(.upgradeExecFailed), "path": "\(path)", "error": "\(reason)"])
        reportOperationOver(outcome: "upgrade failed: \(reason)")
        controlServer?.answerWaiters(for: .upgrade, failure: reason)
        if reloadQueued { reload() }
    }

    /// The record the new image adopts.
    private func upgradeState(reloadQueued: Bool) -> UpgradeState {
        let limits = Syscall.descriptorLimits()
        let control = controlServer?.upgradeHandover
        let controlIdentity = control?.socket.fileIdentity
        var listeners = listenerTable.systemdListeners.all.map { listener in
            UpgradeState.Listener(name: listener.name, descriptor: listener.descriptor, origin: .systemd, address: "", backlog: 0,
                                  mode: nil, bound: "", device: 0, inode: 0, stored: false)
        }
        listeners += listenerTable.ownSockets.map { socket in
            let identity = socket.fileIdentityNumbers
            return UpgradeState.Listener(name: socket.name, descriptor: socket.descriptor.rawValue, origin: .declared,
                                         address: "\(socket.configuration.address)", backlog: socket.configuration.backlog,
                                         mode: socket.configuration.mode, bound: socket.boundAddress,
                                         device: identity.device, inode: identity.inode, stored: listenerTable.isStored(socket))
        }
        return UpgradeState(
            build: "\(upgradeContext.build)", masterStartedAt: startedAt.nanoseconds, arguments: upgradeContext.arguments,
            descriptorLimit: (UInt64(forkContext.descriptorLimit.originalSoftLimit), UInt64(limits.hard)),
            masterAlive: UpgradeState.Pipe(readEnd: forkContext.masterAlive.readEnd.rawValue,
                                           writeEnd: forkContext.masterAlive.writeEnd.rawValue),
            heartbeatBoard: forkContext.heartbeats?.memory.descriptor.rawValue ?? -1,
            logLevel: DaemonLogLevel.shared?.memory.descriptor.rawValue ?? -1,
            reloadQueued: reloadQueued,
            control: control.map { handover in
                UpgradeState.Control(listener: handover.socket.descriptor.rawValue, path: handover.socket.path,
                                     device: controlIdentity?.device ?? 0, inode: controlIdentity?.inode ?? 0)
            },
            waitingClients: (control?.waitingClients ?? []).map { client in
                UpgradeState.WaitingClient(descriptor: client.descriptor, awaiting: client.awaiting)
            },
            listeners: listeners,
            services: pools.map { pool in
                UpgradeState.Service(name: pool.service.name, restarts: pool.restarts,
                                     gracefulShutdownTimeout: pool.service.gracefulShutdownTimeout, slots: pool.slotHistory)
            },
            workers: children.workers.values.sorted { $0.pid < $1.pid }.map { worker in
                let pool = pools[worker.service.id.rawValue]
                return UpgradeState.Worker(
                    service: worker.service.name, workerID: worker.workerID, pid: worker.pid,
                    messages: worker.messages?.rawValue ?? -1, ready: worker.isReady,
                    startedAt: worker.startedAt.nanoseconds, heartbeatSlot: worker.heartbeatSlot ?? -1,
                    stopping: worker.stopRequest?.rawValue, replacement: pool[worker.workerID].replacement === worker,
                    build: worker.build, recycleAt: worker.recycleAt?.nanoseconds, announcedReloadExit: worker.announcedReloadExit)
            },
            leftoverGroups: children.leftoverGroups.values.sorted { $0.id < $1.id }.map {
                UpgradeState.LeftoverGroup(id: $0.id, label: $0.workerLabel)
            })
    }

    /// Answers the upgrade's waiters and tells systemd once the new image's rolls are over.
    func upgradeComplete(failure: String?) {
        if let failure {
            logger.error("upgrade failed: \(failure)", metadata: ["event": .event(.upgradeFailed), "error": "\(failure)"])
            reportOperationOver(outcome: "upgrade failed: \(failure)")
        } else {
            logger.info("upgrade complete: build \(upgradeContext.build)",
                        metadata: ["event": .event(.upgradeComplete), "build": "\(upgradeContext.build)"])
            reportOperationOver(outcome: "upgraded to \(upgradeContext.build)")
        }
        controlServer?.answerWaiters(for: .upgrade, failure: failure)
    }
}
