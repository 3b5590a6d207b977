import Logging

/// Scaling: `SIGTTIN`/`SIGTTOU`, the control socket's `scale`, a reload's worker counts.
extension Master {
    /// One worker more or fewer, within the service's `min_workers...max_workers`.
    func resize(_ pool: ServicePool, by step: Int, signal: Signal) {
        let service = pool.service
        guard let count = pool.workerCount(resizedBy: step) else {
            let bounds = service.configuration.minWorkers...service.configuration.maxWorkers
            logger.info("\(service.name) stays at \(service.desiredWorkers) workers: \(signal) ignored, the range is \(bounds)",
                        metadata: ["event": .event(.scaleRefused), "service": "\(service.name)", "workers": "\(service.desiredWorkers)"])
            return
        }
        scale(service, to: count)
    }

    /// Sets `service`'s worker count; scaling down stops the highest ids gracefully.
    func scale(_ service: ServiceRegistration, to count: Int) {
        guard lifecycle.isSupervising, count != service.desiredWorkers else { return }
        let pool = pools[service.id.rawValue]
        let previous = service.desiredWorkers
        service.desiredWorkers = count
        for workerID in count..<max(count, previous) {
            let slot = WorkerSlot(service: service.id, workerID: workerID)
            deadlines.cancel(.respawn(slot))
            pool.scaledAway(workerID)
            if let worker = pool[workerID].worker {
                requestStop(of: worker, reason: .scaledDown, fast: false)
            }
            if let worker = pool[workerID].replacement {
                pool.dropReplacement(worker)
                requestStop(of: worker, reason: .scaledDown, fast: false)
            }
        }
        if let current = pool.roll?.current, current.workerID >= count {
            advanceRoll(of: pool)
        }
        pool.slotMayBeEmpty()
        logger.info("\(service.name) scaled from \(previous) to \(count) workers",
                    metadata: ["event": .event(.scaled), "service": "\(service.name)", "workers": "\(count)"])
    }
}
