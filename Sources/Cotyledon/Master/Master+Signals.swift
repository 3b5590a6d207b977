import Logging

/// Signals: stops, reloads and resizes, and the reaping `SIGCHLD` asks for.
extension Master {
    /// The signals that stop the master.
    static let stopSignals: [Signal] = [.terminate, .interrupt, .quit]

    /// Reads the pending signals from the signalfd and acts on them.
    func handleSignals() {
        let received: [Signal]
        do {
            received = try signals.readPending()
        } catch {
            logger.error("reading signals failed: \(error)", metadata: ["event": .event(.signalReadFailed)])
            return
        }
        if received.contains(.child) || reapBacklog {
            reapChildren()
        }
        // Standard signals coalesce; a stop read in the same batch as others wins.
        if let stop = received.first(where: { Self.stopSignals.contains($0) }) {
            logSignal(stop)
            beginStop(fast: stop != .terminate)
            return
        }
        for signal in received where signal != .child {
            logSignal(signal)
            guard lifecycle.isSupervising else {
                logger.info("ignoring \(signal) while stopping", metadata: ["event": .event(.signalIgnored), "signal": "\(signal)"])
                continue
            }
            switch signal {
            case .hangup: reload()
            case .user2: requestUpgrade(via: "\(signal)")
            case .ttin:
                for pool in pools {
                    resize(pool, by: 1, signal: signal)
                }
            case .ttou:
                for pool in pools {
                    resize(pool, by: -1, signal: signal)
                }
            default: break
            }
        }
    }

    private func logSignal(_ signal: Signal) {
        logger.info("received \(signal)", metadata: ["event": .event(.signal), "signal": "\(signal)"])
    }

    /// Whether a stop signal is waiting, checked between forks so a stop during a big
    /// start-up is not delayed by forking workers that would only be stopped again.
    var stopSignalPending: Bool {
        let pending = SignalSet.pending()
        return Self.stopSignals.contains { pending.contains($0) }
    }
}
