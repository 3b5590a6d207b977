/// The settings of this worker process, for ``SettingsService/init(workerID:)``; set by the
/// worker's runtime before it creates the service and at each reload.
@MainActor
enum WorkerSettingsHolder {
    /// The settings the worker holds now; `nil` in the master and for managers without settings.
    static var current: (any DaemonSettings)?
}
