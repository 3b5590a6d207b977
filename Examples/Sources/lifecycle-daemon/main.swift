import Cotyledon
import Logging

// Workers that each run a swift-service-lifecycle ServiceGroup (see TickerWorkers).
// SIGTERM to the master shuts every group down gracefully; SIGHUP reloads in place.
LoggingSystem.bootstrap { _ in CotyledonLogHandler() }
let manager = try ServiceManager()
try manager.add(TickerWorkers.self, workers: 2)
manager.run()
