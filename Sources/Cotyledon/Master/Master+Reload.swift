import Logging

/// Reload (SIGHUP): the one reload contract.
///
/// 1. The configuration is read again (``ServiceManager/reloadConfiguration(with:)``, or
///    the settings' `reload` closure, whose value is encoded for the workers too).
///    The listeners it declares are checked and the new or moved ones opened
///    (``ListenerTable``). If any of that fails, nothing changes: the error is logged,
///    `STATUS=reload failed: …`, and `READY=1` still follows `RELOADING=1`.
/// 2. Reload hooks run; the listeners replaced or removed are closed; the new settings are
///    published (new workers inherit them, running ones read them from the
///    ``SettingsRegion`` on `SIGHUP`).
/// 3. Each service takes its new settings and its configured worker count (undoing
///    SIGTTIN/SIGTTOU): extra workers are stopped (highest ids first), missing ones forked.
/// 4. A service that reloads in place and whose settings and listeners did not change gets
///    SIGHUP in each worker (`reload()`, same pids). Every other service gets a rolling restart.
/// 5. `READY=1` once every rolling restart is over. A SIGHUP during a roll is queued:
///    however many arrive, one more reload runs after the roll, with the file as it is then.
extension Master {
    /// Reloads now, or after the rolling restarts under way (see ``Lifecycle/reloadRequested(rollsInProgress:)``).
    func reload() {
        if case .passed(let check, _) = upgrade {
            check.reloadQueued = true
            return
        }
        if let check = upgrade.check, lifecycle.isSupervising {
            if !check.reloadQueued {
                logger.info("reload queued: an upgrade is being checked", metadata: ["event": .event(.reloadQueued)])
            }
            check.reloadQueued = true
            return
        }
        switch lifecycle.reloadRequested(rollsInProgress: pools.contains { $0.roll != nil }) {
        case .refuse, .queue(first: false):
            return
        case .queue(first: true):
            logger.info("reload queued: a rolling restart is in progress", metadata: ["event": .event(.reloadQueued)])
            return
        case .apply:
            break
        }
        logger.info("reloading", metadata: ["event": .event(.reloading)])
        statusNote = nil
        // Reading and checking the file maps code the loop does not run: released once settled.
        startupPagesPending = true
        notifier.reloading()
        let new: ManagerConfiguration
        let snapshot: SettingsSnapshot?
        let listeners: ListenerTable.Reload
        do {
            (new, snapshot) = try loadNewConfiguration()
            let unknown = Set(new.services.keys).subtracting(services.map(\.name))
            if let name = unknown.sorted().first {
                throw ReloadError(description: "service \"\(name)\" is not running; adding a service needs a restart of the daemon")
            }
            try checkListeners(of: new)
            listeners = try listenerTable.prepare(new.listeners, logger: logger)
        } catch {
            logger.error("reload failed, keeping the running configuration: \(error)",
                         metadata: ["event": .event(.reloadFailed), "error": "\(error)"])
            metrics.increment(.reloads, ["result": "failed"])
            reportOperationOver(outcome: "reload failed: \(error)")
            answerReloadWaiters(failure: "\(error)")
            return
        }
        for hook in hooks.reload {
            runHook("reload", hook.name) { try hook.body() }
        }
        if let snapshot { forkContext.settings?.publish(snapshot) }
        let listenersBefore = pools.map { forkContext.listeners.only($0.service.configuration.listeners) }
        listenerTable.commit(listeners, logger: logger)
        forkContext.listeners = listenerTable.listeners
        apply(new, listenersBefore: listenersBefore)
        updateFileDescriptorStore()
        scheduleHealthChecks()
        rollFinished()
    }

    /// The manager's new configuration, and the application's settings it is part of for a
    /// manager created with settings.
    private func loadNewConfiguration() throws -> (ManagerConfiguration, SettingsSnapshot?) {
        if let settings = forkContext.settings {
            let snapshot = try SettingsSnapshot(try settings.load())
            return (snapshot.value.manager, snapshot)
        }
        return (try loadConfiguration?() ?? configuration, nil)
    }

    /// Checks the listeners `new` declares and that every service names only declared ones
    /// (a service `new` leaves out keeps its settings, and its listeners).
    private func checkListeners(of new: ManagerConfiguration) throws {
        let settings = Dictionary(pools.map { ($0.service.name, new.services[$0.service.name] ?? $0.service.configuration) }) { first, _ in first }
        do {
            try ManagerConfiguration.checkListenerRules(listeners: listenerTable.declared(afterReloadDeclaring: new.listeners),
                                                        services: settings, declared: [])
        } catch {
            throw ReloadError(description: "\(error)")
        }
    }

    /// Applies `new` to every service: settings, worker count, then `SIGHUP` in place or a
    /// roll; a service whose listeners differ from `listenersBefore` (by index) rolls.
    private func apply(_ new: ManagerConfiguration, listenersBefore: [Listeners]) {
        configuration = new
        logger.logLevel = new.logLevel
        DaemonLogLevel.shared?.level = new.logLevel
        lifecycle.reloadApplied()
        for pool in pools {
            let service = pool.service
            let settings = new.services[service.name] ?? service.configuration
            let change = ConfigurationDiff.change(from: service.configuration, to: settings)
            service.apply(settings, defaultGracefulShutdownTimeout: new.gracefulShutdownTimeout)
            scale(service, to: settings.workers)
            let listenersChanged = forkContext.listeners.only(settings.listeners).all != listenersBefore[service.id.rawValue].all
            // A worker of the master's previous image runs the old code: it rolls.
            let adopted = pool.filledSlots.contains { $0.worker.isAdopted }
            if service.reloadsInPlace && change != .changed && !listenersChanged && !adopted {
                for (_, worker) in pool.filledSlots {
                    worker.send(.hangup)
                }
            } else {
                pool.roll = fullRoll(of: pool)
            }
        }
        // Every roll exists before any advances: a roll that ends at once (no worker to
        // replace, a failed fork) must not complete the reload while others are to start.
        for pool in pools where pool.roll != nil {
            advanceRoll(of: pool)
        }
    }

    /// Called when a rolling restart ended: once none is left, sends `READY=1` for the
    /// reload that waited for them, or starts the queued reload.
    func rollFinished() {
        guard !pools.contains(where: { $0.roll != nil }) else { return }
        switch lifecycle.rollsFinished() {
        case .nothing:
            return
        case .reloadAgain:
            reload()
        case .reloadComplete(let failure):
            logger.info("reload complete", metadata: ["event": .event(.reloadComplete), "result": "\(failure == nil ? "success" : "failed")"])
            metrics.increment(.reloads, ["result": failure == nil ? "success" : "failed"])
            answerReloadWaiters(failure: failure)
            reportOperationOver(outcome: failure.map { "reload failed: \($0)" })
        case .upgradeComplete(let failure, let reloadAfter):
            upgradeComplete(failure: failure)
            if reloadAfter { reload() }
        }
    }
}

/// A reload that cannot be applied.
struct ReloadError: Error, CustomStringConvertible {
    let description: String
}
