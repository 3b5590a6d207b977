/// A ``Service`` that reads the daemon's validated settings, typed.
///
/// ```swift
/// final class GreeterService: SettingsService<GreeterSettings>, WorkerIDInitializable {
///     override class var reloadsInPlace: Bool { true }
///
///     override func run() async throws {
///         print("hello from \(settings.greeting)")
///         try await Task.sleep(for: .seconds(3600))
///     }
///
///     override func reload() async {
///         print("now saying \(settings.greeting)")
///     }
/// }
/// ```
///
/// Add it to a manager created with the same settings type
/// (``ServiceManager/init(settings:reload:restartPolicy:controlSocket:logger:)``); `add`
/// refuses it otherwise. A worker starts with the settings in force when it was forked
/// and never reads the configuration file. ``settings`` changes only at a successful
/// reload, just before ``Service/reload()`` runs in a worker that reloads in place (one
/// that does not is replaced by a worker forked with the new value). To act on what
/// changed, keep what you built from the settings in properties of your own and compare
/// them with ``settings`` in `reload()`.
open class SettingsService<Settings: DaemonSettings>: Service {
    /// The daemon's settings, as the master validated them.
    public private(set) var settings: Settings

    /// Creates the service with the settings the worker was forked with.
    ///
    /// - Precondition: the service runs in a worker of a manager created with `Settings`,
    ///   which `add` checks.
    /// - Parameter workerID: the worker's index in its service, in `0..<workers`.
    public override init(workerID: Int) {
        guard let settings = WorkerSettingsHolder.current as? Settings else {
            fatalError("\(Self.self) reads settings of type \(Settings.self), but this worker has \(WorkerSettingsHolder.current.map { "\(type(of: $0))" } ?? "none"): create the ServiceManager with init(settings:reload:) and add the service with add(_:)")
        }
        self.settings = settings
        super.init(workerID: workerID)
    }

    /// Creates the service with the given settings, as in unit tests, outside a worker.
    ///
    /// - Parameters:
    ///   - workerID: the worker's index in its service, in `0..<workers`.
    ///   - settings: the settings the service reads until a reload changes them.
    public init(workerID: Int, settings: Settings) {
        self.settings = settings
        super.init(workerID: workerID)
    }
}

extension SettingsService: SettingsReceiving {
    nonisolated static var settingsType: any DaemonSettings.Type { Settings.self }

    func receive(_ settings: any DaemonSettings) {
        if let settings = settings as? Settings { self.settings = settings }
    }
}
