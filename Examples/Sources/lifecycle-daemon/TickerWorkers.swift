import Cotyledon
import CotyledonServiceLifecycle
import ServiceLifecycle

/// The Cotyledon service: each of its workers runs a `ServiceGroup` with one ``Ticker``.
///
/// This file imports both Cotyledon and ServiceLifecycle, which both have a `Service`:
/// write `Cotyledon.Service` or `ServiceLifecycle.Service` here, never plain `Service`.
final class TickerWorkers: ServiceGroupService {
    override class var name: String { "ticker" }
    /// A reload (SIGHUP to the master) calls ``reload()`` in the running workers.
    override class var reloadsInPlace: Bool { true }

    override func makeServices() async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        [.init(service: Ticker(workerID: workerID, logger: logger))]
    }

    override func reload() async {
        logger.info("ticker worker(\(workerID)) reloaded", metadata: ["event": "ticker-reloaded"])
    }
}
