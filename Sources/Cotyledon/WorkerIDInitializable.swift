/// A service the manager creates by itself, from the worker id alone:
/// `manager.add(PrinterService.self, workers: 2)`.
///
/// A `final` class that declares no initializer of its own conforms as it is (it inherits
/// ``Service/init(workerID:)``); a class that is subclassed writes
/// `required override init(workerID:)`. A service that needs more than its worker id to
/// be built does not conform: it is added with a closure instead,
/// ``ServiceManager/add(_:workers:gracefulShutdownTimeout:makeService:)``.
@MainActor
public protocol WorkerIDInitializable: Service {
    /// Creates the service for one worker; called in the worker process, after the fork.
    ///
    /// - Parameter workerID: the worker's index in its service, in `0..<workers`.
    init(workerID: Int)
}
