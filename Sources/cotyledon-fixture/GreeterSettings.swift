import Cotyledon
import CotyledonConfiguration

/// The settings scenario's whole configuration: the supervisor's part and one application setting.
struct GreeterSettings: DaemonSettings {
    var manager: ManagerConfiguration
    var greeting: String

    /// Loads and validates the file at `path`, in the master only.
    static func load(from path: String) throws(ConfigurationError) -> GreeterSettings {
        try ConfigurationFile.load(GreeterSettings.self, from: path) { loaded throws(ConfigurationError) in
            do throws(ConfigurationError) {
                try loaded.manager.validate(knownServices: [GreeterService.name])
            } catch {
                throw error.nested(under: ["manager"])
            }
        }
    }
}
