import Testing
@testable import Cotyledon
import CotyledonConfiguration

/// A daemon's settings type embedding ``ManagerConfiguration`` survives the snapshot the
/// master sends to running workers.
@Suite
struct ManagerConfigurationSettingsTests {
    struct DaemonModel: DaemonSettings {
        var manager: ManagerConfiguration
        var greeting: String
        var ports: [Int]
    }

    @Test("a file-loaded settings value round-trips through the settings snapshot")
    func roundTrip() throws {
        let yaml = """
        manager:
          log_level: debug
          startup_timeout: 0
          services:
            printer:
              workers: 3
              max_lifetime: 2.5
              restart:
                max_restarts: 4
        greeting: bonjour
        ports: [80, 443]
        """
        let loaded = try ConfigurationFile.load(DaemonModel.self, yaml: yaml, name: "daemon.yaml")
        let snapshot = try SettingsSnapshot(loaded)
        let decoded = try SettingsDecoder.decode(DaemonModel.self, from: try SettingsValue(bytes: snapshot.bytes))
        #expect(decoded.manager == loaded.manager)
        #expect(decoded.greeting == "bonjour" && decoded.ports == [80, 443])
    }
}
