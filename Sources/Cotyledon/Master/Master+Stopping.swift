import Glibc
import Logging

/// Stopping: graceful and fast stops, give-ups, the start-up timeout, and the exit that
/// leaves no adopted process behind.
extension Master {
    /// How many times the master looks for adopted processes left when it exits.
    private static let adoptionRounds = 64

    /// Begins a stop (`fast`: `SIGINT`, else `SIGTERM`), or makes a graceful one fast.
    func beginStop(fast: Bool, cause: Lifecycle.StopCause = .requested) {
        switch lifecycle.stopRequested(fast: fast, cause: cause) {
        case .begin(let mode):
            let longest = services.map(\.gracefulShutdownTimeout).max() ?? .zero
            notifier.stopping(within: (mode == .fast ? min(Self.fastStopGrace, longest) : longest) + .seconds(5))
            logger.info("stopping \(mode == .fast ? "fast" : "gracefully")", metadata: ["event": .event(.stopping), "mode": "\(mode == .fast ? "fast" : "graceful")"])
            for hook in hooks.terminate {
                runHook("terminate", hook.name) { try hook.body() }
            }
            signalAdoptedProcesses(.terminate)
            abandonUpgradeCheck()
            answerReloadWaiters(failure: "the daemon is stopping")
            controlServer?.answerWaiters(for: .upgrade, failure: "the daemon is stopping")
            deadlines.cancelAll { deadline in
                switch deadline {
                case .respawn, .rollReadiness: true
                default: false
                }
            }
            for pool in pools { pool.roll = nil }
        case .escalate:
            logger.info("second stop signal: stopping fast", metadata: ["event": .event(.stopping), "mode": "fast"])
        case .nothing:
            return
        }
        for worker in children.workers.values {
            requestStop(of: worker, reason: worker.stopRequest ?? .stopped, fast: lifecycle.stopMode == .fast)
        }
    }

    /// Asks `worker`'s process group to stop (SIGTERM, or SIGINT when `fast`, then
    /// SIGCONT for stopped processes) and arms the deadline after which it is killed.
    func requestStop(of worker: WorkerRecord, reason: WorkerExitReason, fast: Bool) {
        if worker.stopRequest == nil {
            var fields = workerFields(worker, event: .workerStopping)
            fields["reason"] = "\(reason.rawValue)"
            logger.info("stopping \(worker.label) (\(reason.rawValue))", metadata: fields)
        }
        worker.stopRequest = reason
        pools[worker.service.id.rawValue].vacate(worker)
        worker.sendToGroup(fast ? .interrupt : .terminate)
        worker.sendToGroup(.continue)
        let deadline = MonotonicInstant.now + (fast ? min(Self.fastStopGrace, worker.service.gracefulShutdownTimeout)
                                                    : worker.service.gracefulShutdownTimeout)
        let kill = Deadline.killWorker(worker.pid)
        deadlines.schedule(kill, at: min(deadlines.instant(of: kill) ?? deadline, deadline))
    }

    /// Stops everything gracefully and exits with `status`, saying why in the log and to systemd.
    func giveUp(_ status: MasterExitCode, because reason: String) {
        logger.critical("giving up: \(reason); stopping every service, exit status \(status.rawValue)",
                        metadata: ["event": .event(.giveUp), "status": "\(status.rawValue)", "error": "\(reason)"])
        notifier.send("STATUS=gave up: \(reason)")
        beginStop(fast: false, cause: .gaveUp(status, reason: reason))
    }

    /// The initial workers were not all ready in time: say why and stop.
    func startupTimedOut() {
        let status = "startup failed: \(statusText()) when the startup timeout expired"
        logger.error("\(status); stopping", metadata: ["event": .event(.startupTimeout)])
        notifier.send("STATUS=\(status)")
        beginStop(fast: false, cause: .startupTimedOut(status: status))
    }

    private func signalAdoptedProcesses(_ signal: Signal) {
        for adopted in children.adoptedProcesses() {
            Syscall.send(signal, toProcess: adopted)
            Syscall.send(.continue, toProcess: adopted)
        }
    }

    /// Exits the process with `status` (else the lifecycle's), after killing and reaping
    /// what it adopted and flushing systemd's notifications.
    func exitMaster(status: Int32? = nil) -> Never {
        let status = status ?? lifecycle.exitStatus.rawValue
        controlServer?.remove()
        listenerTable.closeAll()
        // Nothing adopted outlives the master. An adopted process that dies here may leave
        // children of its own, re-parented to the master as it exits: look again until none
        // is left (bounded, should a process keep forking).
        for _ in 0..<Self.adoptionRounds {
            let adopted = children.adoptedProcesses()
            guard !adopted.isEmpty else { break }
            for pid in adopted {
                Syscall.send(.kill, toProcess: pid)
                let exit = WorkerExitStatus(waitStatus: (try? Syscall.waitForExit(of: pid)) ?? 0)
                logger.info("reaped process \(pid), not a worker: \(exit)",
                            metadata: ["event": .event(.reapedOther), "pid": "\(pid)", "status": "\(exit.token)"])
            }
        }
        notifier.flushBeforeExit()
        logger.info("master exiting with status \(status)", metadata: ["event": .event(.masterExit), "status": "\(status)"])
        fflush(nil)
        exit(status)
    }
}
