internal import CotyledonControlProtocol
import Glibc
import Logging

/// The control commands, performed on the master's state from its loop (the
/// ``ControlServer`` decodes them and answers).
extension Master: ControlCommandPerformer {
    /// Whether the master stops its workers: control commands that change something are refused.
    var isStopping: Bool { !lifecycle.isSupervising }

    /// Does what `command` asks, reading and changing the master's state as a signal would;
    /// a command that names no running service or worker, or a count outside the service's
    /// bounds, is refused.
    func perform(_ command: ControlCommand) -> ControlOutcome {
        do {
            return try performOrRefuse(command)
        } catch {
            return .reply(.failure(error))
        }
    }

    /// Answers the clients waiting for a reload (`reload --wait`).
    func answerReloadWaiters(failure: String?) {
        controlServer?.answerWaiters(for: .reload, failure: failure)
    }

    private func performOrRefuse(_ command: ControlCommand) throws(ControlError) -> ControlOutcome {
        switch command {
        case .status:
            return .reply(.status(status()))
        case .metrics:
            return .reply(.metrics(text: metricsExposition()))
        case .stop(let fast):
            beginStop(fast: fast)
            return .reply(.ok)
        case .scale(let name, let workers):
            let service = try namedService(name)
            let bounds = service.configuration.minWorkers...service.configuration.maxWorkers
            guard bounds.contains(workers) else {
                throw ControlError(.invalidWorkers, "\(service.name) takes \(bounds.lowerBound)...\(bounds.upperBound) workers, not \(workers)")
            }
            scale(service, to: workers)
            return .reply(.scaled(workers: workers))
        case .reload(let wait):
            reload()
            return wait ? .replyWhenReloadEnds : .reply(.ok)
        case .upgrade(let wait):
            switch requestUpgrade(via: "control") {
            case .refused(let reason):
                throw ControlError(.upgradeFailed, reason)
            case .checking:
                return wait ? .replyWhenUpgradeEnds : .reply(.ok)
            }
        case .restart(let name, let workerID):
            let service = try namedService(name)
            if let workerID {
                guard let worker = pools[service.id.rawValue][workerID].worker else {
                    throw ControlError(.unknownWorker, "\(service.name) has no running worker \(workerID)")
                }
                restart(worker)
            } else {
                restart(service)
            }
            return .reply(.ok)
        case .logLevel(let level):
            setLogLevel(Logger.Level(level))
            return .reply(.ok)
        }
    }

    /// Logs at `level` from now on, in the master and (at their next record) its workers.
    private func setLogLevel(_ level: Logger.Level) {
        // Logged at the more verbose of the two levels, so the change itself shows.
        let previous = logger.logLevel
        logger.logLevel = min(previous, level)
        logger.notice("log level set to \(level)", metadata: ["event": .event(.logLevel), "level": "\(level)"])
        logger.logLevel = level
        // Running workers follow at their next record.
        DaemonLogLevel.shared?.level = level
    }

    private func namedService(_ name: String) throws(ControlError) -> ServiceRegistration {
        guard let service = services.first(where: { $0.name == name }) else {
            throw ControlError(.unknownService, "no service \"\(name)\": this daemon runs \(services.map(\.name).joined(separator: ", "))")
        }
        return service
    }

    private func status() -> ControlStatus {
        let now = MonotonicInstant.now
        return ControlStatus(
            pid: forkContext.masterPID, phase: lifecycle.isSupervising ? "running" : "stopping",
            build: "\(upgradeContext.build)",
            services: pools.map { pool in
                let service = pool.service
                let members = children.workers.values.filter { $0.service === service }.sorted { ($0.workerID, $0.pid) < ($1.workerID, $1.pid) }
                return ControlStatus.Service(
                    name: service.name, configured: service.desiredWorkers,
                    running: members.count, ready: pool.readyCount,
                    restarts: pool.restarts,
                    workers: members.map { worker in
                        ControlStatus.Worker(
                            id: worker.workerID, pid: worker.pid,
                            state: worker.stopRequest != nil ? "stopping" : worker.isReady ? "ready" : "starting",
                            uptime: (now - worker.startedAt).secondsValue,
                            restarts: pool[worker.workerID].restarts,
                            lastExit: pool[worker.workerID].lastExit, build: worker.build)
                    })
            })
    }
}
