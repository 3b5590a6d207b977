import Glibc
import Logging
import SystemPackage

/// The master's new image after an in-place upgrade: it takes over the listeners and the
/// workers of the previous image, then rolls every adopted worker (readiness-gated, as a
/// reload does) so that each runs the new build.
extension Master {
    /// The listener table of the previous image, then brought to `declared` as a reload
    /// would: new listeners opened, removed ones closed.
    static func adoptListeners(of state: UpgradeState, declared: [String: ListenerConfiguration],
                               declaredInCode: [String: ListenerConfiguration], logger: Logger) throws(ListenerError) -> ListenerTable {
        var systemd: [Listeners.Listener] = []
        var sockets: [ListenerSocket] = []
        var stored: Set<String> = []
        for listener in state.listeners {
            let descriptor = FileDescriptor(rawValue: listener.descriptor)
            switch listener.origin {
            case .systemd:
                try? Syscall.setCloseOnExec(listener.descriptor, true)
                systemd.append(Listeners.Listener(name: listener.name, descriptor: listener.descriptor))
            case .declared:
                guard let address = try? ListenerConfiguration.Address.parse(listener.address),
                      let bound = try? ListenerConfiguration.Address.parse(listener.bound) else {
                    throw ListenerError(name: listener.name, address: .tcp(host: listener.address, port: 0),
                                        problem: "the upgrade state's address \"\(listener.address)\" cannot be read",
                                        fix: "restart the daemon")
                }
                if listener.stored { stored.insert(listener.name) }
                sockets.append(ListenerSocket.adopt(
                    listener.name, ListenerConfiguration(address: address, backlog: listener.backlog, mode: listener.mode),
                    descriptor: descriptor, bound: bound, device: listener.device, inode: listener.inode))
            }
        }
        let table = ListenerTable(adopting: Listeners(all: systemd.sorted { $0.descriptor < $1.descriptor }), sockets: sockets,
                                  stored: stored, declaredInCode: declaredInCode)
        let reload = try table.prepare(declared, logger: logger)
        table.commit(reload, logger: logger)
        return table
    }

    /// Maps the heartbeat board of the previous image, whose workers write it; without it
    /// (the kernel refused the mapping) a new board is made, and the adopted workers'
    /// heartbeats are not checked until they are replaced.
    static func adoptHeartbeatBoard(of state: UpgradeState, logger: Logger) -> HeartbeatBoard? {
        let used = state.workers.map(\.heartbeatSlot).filter { $0 >= 0 }
        if state.heartbeatBoard >= 0, let board = HeartbeatBoard(adopting: state.heartbeatBoard, used: used) {
            return board
        }
        logger.warning("cannot map the heartbeat board of build \(state.build): the adopted workers' heartbeats are not checked until the upgrade replaces them",
                       metadata: ["event": .event(.upgradeHeartbeatsLost)])
        return HeartbeatBoard()
    }

    /// Serves the control socket of the previous image when this build's configuration has
    /// the same path and the file there is still that socket; otherwise closes it (removing
    /// its file only if it is still there) and creates the configured one. Either way the
    /// clients waiting for a reload's or the upgrade's answer are served here (closed when
    /// the configuration has no control socket any more).
    func takeOverControlSocket(of state: UpgradeState, path: String?) throws(CotyledonError) {
        if let control = state.control {
            let old = ControlSocket(adopting: FileDescriptor(rawValue: control.listener), path: control.path,
                                    device: control.device, inode: control.inode)
            if control.path == path, old.fileIsPresent {
                controlServer = ControlServer(adopting: old, events: events, performer: self)
            } else {
                old.remove()
                if control.path == path {
                    logger.warning("the control socket file \(control.path) was removed or replaced since the daemon created it: creating it again",
                                   metadata: ["event": .event(.upgradeControlSocketRecreated), "path": "\(control.path)"])
                }
            }
        }
        if controlServer == nil, let path {
            do {
                controlServer = try ControlServer(path: path, events: events, performer: self)
            } catch {
                for client in state.waitingClients { Syscall.close(FileDescriptor(rawValue: client.descriptor)) }
                throw .controlSocket("\(error)")
            }
        }
        let waiting = state.waitingClients.map { client in
            (descriptor: FileDescriptor(rawValue: client.descriptor), awaiting: client.awaiting)
        }
        if let controlServer {
            controlServer.adoptWaitingClients(waiting)
        } else {
            for client in waiting { Syscall.close(client.descriptor) }
        }
    }

    /// Takes over the previous image's workers, slot history and leftover process groups.
    func adoptWorkers(of state: UpgradeState) {
        adoptedFrom = state.build
        for saved in state.services {
            guard let pool = pools.first(where: { $0.service.name == saved.name }) else { continue }
            pool.restoreHistory(saved.slots, restarts: saved.restarts)
        }
        let now = MonotonicInstant.now
        var adopted = 0
        for saved in state.workers {
            // Older builds handed over a pidfd per worker: this one signals workers by pid.
            if saved.pidfd >= 0 { Syscall.close(FileDescriptor(rawValue: saved.pidfd)) }
            let messages = saved.messages >= 0 ? FileDescriptor(rawValue: saved.messages) : nil
            if let messages { UpgradeHandover.closeOnExec([messages.rawValue]) }
            guard let pool = pools.first(where: { $0.service.name == saved.service }) else {
                stopWorkerOfVanishedService(saved, graceful: state.services.first { $0.name == saved.service }?.gracefulShutdownTimeout)
                if let messages { Syscall.close(messages) }
                continue
            }
            let worker = WorkerRecord(service: pool.service, workerID: saved.workerID, pid: saved.pid,
                                      messages: messages, startedAt: MonotonicInstant(nanoseconds: saved.startedAt), build: saved.build)
            worker.isAdopted = true
            worker.heartbeatSlot = saved.heartbeatSlot >= 0 ? saved.heartbeatSlot : nil
            worker.recycleAt = saved.recycleAt.map { MonotonicInstant(nanoseconds: $0) }
            worker.announcedReloadExit = saved.announcedReloadExit
            children.workers[saved.pid] = worker
            adopted += 1
            if let messages {
                try? events.add(messages, token: UInt64(saved.pid))
            }
            if let reason = saved.stopping {
                worker.stopRequest = WorkerExitReason(rawValue: reason) ?? .stopped
                deadlines.schedule(.killWorker(saved.pid), at: now + pool.service.gracefulShutdownTimeout)
                continue
            }
            let occupied = saved.replacement ? pool[saved.workerID].replacement : pool[saved.workerID].worker
            if occupied != nil {
                requestStop(of: worker, reason: .scaledDown, fast: false)
                continue
            }
            pool.add(worker, asReplacement: saved.replacement)
            if saved.ready { _ = pool.workerBecameReady(worker) }
        }
        for group in state.leftoverGroups {
            children.leftoverGroups[group.id] = LeftoverGroup(id: group.id, workerLabel: group.label,
                                                              fields: ["event": .event(.workerGroupKill), "pid": "\(group.id)"])
            deadlines.schedule(.killLeftoverGroup(group.id), at: now + configuration.gracefulShutdownTimeout)
        }
        // Ids beyond the new configuration's counts are stopped, as a reload's scale-down.
        for pool in pools {
            for worker in children.workers.values where worker.service === pool.service && worker.stopRequest == nil
                && worker.workerID >= pool.service.desiredWorkers {
                requestStop(of: worker, reason: .scaledDown, fast: false)
            }
        }
        logger.info("adopted \(adopted) workers of build \(state.build)",
                    metadata: ["event": .event(.upgradeAdopted), "workers": "\(adopted)", "build": "\(upgradeContext.build)",
                               "from": "\(state.build)"])
    }

    /// Stops the worker of a service this build no longer has: `SIGTERM` and `SIGCONT` to
    /// its group, `SIGKILL` to what is left of it after `graceful` (else the manager's
    /// timeout); its exit is reaped by ``vanishedWorkerExited(_:pid:status:)``.
    private func stopWorkerOfVanishedService(_ saved: UpgradeState.Worker, graceful: Duration?) {
        let label = "\(saved.service) worker(\(saved.workerID)) [pid \(saved.pid)]"
        logger.warning("\(label): this build does not run its service, stopping it",
                       metadata: ["event": .event(.workerStopping), "service": "\(saved.service)", "worker": "\(saved.workerID)",
                                  "pid": "\(saved.pid)", "reason": "service-removed"])
        Syscall.send(.terminate, toGroup: saved.pid)
        Syscall.send(.continue, toGroup: saved.pid)
        children.vanishedWorkers[saved.pid] = VanishedWorker(label: label, service: saved.service, workerID: saved.workerID,
                                                             heartbeatSlot: saved.heartbeatSlot >= 0 ? saved.heartbeatSlot : nil)
        children.leftoverGroups[saved.pid] = LeftoverGroup(
            id: saved.pid, workerLabel: label,
            fields: ["event": .event(.workerGroupKill), "service": "\(saved.service)", "worker": "\(saved.workerID)", "pid": "\(saved.pid)"])
        deadlines.schedule(.killLeftoverGroup(saved.pid), at: .now + (graceful ?? configuration.gracefulShutdownTimeout))
    }

    /// A worker of a service this build does not run exited: logged, its heartbeat slot freed.
    func vanishedWorkerExited(_ vanished: VanishedWorker, pid: pid_t, status: WorkerExitStatus) {
        if let slot = vanished.heartbeatSlot { forkContext.heartbeats?.release(slot) }
        logger.info("\(vanished.label), whose service this build does not run, exited: \(status)",
                    metadata: ["event": .event(.upgradeVanishedWorkerExited), "service": "\(vanished.service)",
                               "worker": "\(vanished.workerID)", "pid": "\(pid)", "status": "\(status.token)"])
    }

    /// Starts the rolls that replace every adopted worker with one of this build; completes
    /// the upgrade at once when there is none to replace.
    func rollAdoptedWorkers() {
        // Workers that exited between the previous image's last look and this image's signalfd.
        reapChildren()
        for pool in pools where pool.filledSlots.contains(where: { $0.worker.isAdopted }) {
            pool.roll = fullRoll(of: pool)
        }
        for pool in pools where pool.roll != nil {
            advanceRoll(of: pool)
        }
        rollFinished()
    }
}
