import Cotyledon
import CotyledonConfiguration
import Logging

/// Where the demo's settings come from: the configuration file if one was given (else
/// the defaults), then the command-line options on top — at start and at every reload.
struct DemoConfigurationSource: Sendable {
    /// The services this binary can run.
    static let knownServices = [PrinterService.name, EchoService.name]

    let path: String?
    let workers: Int?
    let gracefulTimeout: Double?
    let echoWorkers: Int?
    let startupTimeout: Double?
    let logLevel: Logger.Level?
    let minUptime: Double?
    let maxRestarts: Int?
    let restartWindow: Double?

    /// Reads the file (if any), applies the options and validates the result.
    func load() throws(ConfigurationError) -> ManagerConfiguration {
        var configuration = ManagerConfiguration(services: [PrinterService.name: ServiceConfiguration(workers: 2)])
        if let path {
            configuration = try ConfigurationFile.load(ManagerConfiguration.self, from: path) { loaded throws(ConfigurationError) in
                try loaded.validate(knownServices: Self.knownServices)
            }
        }
        if let workers {
            configuration.services[PrinterService.name, default: ServiceConfiguration(workers: workers)].workers = workers
        }
        if configuration.services[PrinterService.name] == nil {
            configuration.services[PrinterService.name] = ServiceConfiguration(workers: 2)
        }
        if let echoWorkers {
            if echoWorkers == 0 {
                configuration.services[EchoService.name] = nil
            } else {
                configuration.services[EchoService.name, default: ServiceConfiguration(workers: echoWorkers)].workers = echoWorkers
            }
        }
        if let gracefulTimeout { configuration.gracefulShutdownTimeout = .seconds(gracefulTimeout) }
        if let startupTimeout { configuration.startupTimeout = startupTimeout > 0 ? .seconds(startupTimeout) : nil }
        if let logLevel { configuration.logLevel = logLevel }
        for name in configuration.services.keys {
            if let minUptime { configuration.services[name]!.restart.minimumUptime = .seconds(minUptime) }
            if let maxRestarts { configuration.services[name]!.restart.maximumRestarts = maxRestarts }
            if let restartWindow { configuration.services[name]!.restart.restartWindow = .seconds(restartWindow) }
        }
        try configuration.validate(knownServices: Self.knownServices)
        return configuration
    }
}
