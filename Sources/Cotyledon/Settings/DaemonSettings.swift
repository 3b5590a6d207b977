/// A daemon's whole configuration: the supervisor's part and the application's settings,
/// loaded and validated by the master and handed to every worker as one value.
///
/// ```swift
/// import Cotyledon
/// import CotyledonConfiguration
///
/// struct GreeterSettings: DaemonSettings {
///     var manager: ManagerConfiguration
///     var greeting: String
/// }
/// ```
///
/// Create the manager with ``ServiceManager/init(settings:reload:restartPolicy:controlSocket:logger:)``
/// and subclass ``SettingsService`` to read the value in workers: no worker reads the file.
/// `ManagerConfiguration` is `Codable` through the `CotyledonConfiguration` module, which
/// also loads such a type from a YAML file.
///
/// The master passes the value to running workers as a snapshot encoded with the type's
/// `Codable` conformance: `init(from:)` must read back what `encode(to:)` writes, as
/// synthesized conformances do. A snapshot may hold at most 4 MiB.
public protocol DaemonSettings: Codable, Sendable {
    /// The supervisor's settings: the manager's and each service's (worker counts, timeouts,
    /// restart policies), applied by the master at start and on every reload.
    var manager: ManagerConfiguration { get }
}
