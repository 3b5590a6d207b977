import SystemPackage

/// An error thrown by ``ServiceManager``: each message says what went wrong and what to do.
public enum CotyledonError: Error, Equatable, CustomStringConvertible {
    /// A worker count outside `1...ServiceManager.maximumWorkers`.
    case invalidWorkerCount(service: String, requested: Int)
    /// A ``ServiceID`` this manager did not return.
    case unknownServiceID(ServiceID)
    /// ``ServiceManager/run()`` was called a second time (or from a worker or hook).
    case runCalledTwice
    /// ``ServiceManager/run()`` was called while the process had more than one thread.
    case multiThreaded(threads: Int)
    /// A service was added after ``ServiceManager/run()`` started.
    case addAfterRun(service: String)
    /// A service's settings break a rule of ``ServiceConfiguration`` (a worker count outside
    /// `min_workers...max_workers`, a timeout longer than a day…).
    case invalidConfiguration(service: String, problem: String)
    /// A service name that is not only `a-z`, `0-9`, `_` and `-` (see ``Service/name``).
    case invalidServiceName(String)
    /// A second service with a name already added.
    case duplicateServiceName(String)
    /// A second ``ServiceManager`` was created in the same process.
    case secondManager
    /// The control socket could not be created.
    case controlSocket(String)
    /// A system call the master cannot do without failed.
    case systemCallFailed(call: String, errno: Errno)
    /// Settings given to ``ServiceManager/init(settings:reload:restartPolicy:controlSocket:logger:)``
    /// that cannot be sent to workers: they do not encode, or take more than 4 MiB encoded.
    case invalidSettings(String)
    /// A ``SettingsService`` added to a manager created without settings
    /// (`managerSettings` is `nil`) or with another settings type.
    case settingsTypeMismatch(service: String, serviceSettings: String, managerSettings: String?)
    /// A listener name that is not only `a-z`, `0-9`, `_` and `-`.
    case invalidListenerName(String)
    /// A second ``ServiceManager/addListener(_:_:)`` with a name already added (a
    /// listener of the configuration with that name is not an error: it wins).
    case duplicateListenerName(String)
    /// A listener's settings break a rule of ``ListenerConfiguration`` (a backlog out of
    /// range, a mode for a TCP socket…).
    case invalidListener(name: String, problem: String)
    /// A listener was added after ``ServiceManager/run()`` started.
    case addListenerAfterRun(String)
    /// A declared listener could not be opened at start (its address is in use, a port
    /// needs privileges, a directory is missing…); the master exits 78 before any fork.
    case listenerUnavailable(name: String, address: String, reason: String)
    /// systemd set `variable` (`WATCHDOG_USEC`, `LISTEN_FDS`), which the master reads with
    /// libsystemd, and `libsystemd.so.0` could not be loaded; nothing was forked.
    case systemdLibraryUnavailable(variable: String, reason: String)

    /// The message, naming the fix.
    public var description: String {
        switch self {
        case .invalidWorkerCount(let service, let requested):
            return "service \"\(service)\": workers must be at least 1 and at most \(ServiceManager.maximumWorkers) (got \(requested)); pass a count in that range"
        case .unknownServiceID(let id):
            return "unknown service id \(id): pass the id that add() returned"
        case .runCalledTwice:
            return "run() was already called on this ServiceManager; call it once, at the end of main, and not from a hook or a worker"
        case .multiThreaded(let threads):
            return "ServiceManager.run() must be single-threaded, but this process has \(threads) threads: create no Task, Dispatch queue, NIO event loop or thread before run(); start them inside Service.run(), which runs in the worker"
        case .addAfterRun(let service):
            return "cannot add a service after run() has started (service \"\(service)\"); add every service before calling run(), or use reconfigure() to change worker counts"
        case .invalidConfiguration(let service, let problem):
            return "service \"\(service)\": invalid settings: \(problem)"
        case .invalidServiceName(let name):
            return "service name \"\(name)\" is not valid: use only a-z, 0-9, '_' and '-', as in the configuration file; override the class's `name` or pass another `name:`"
        case .duplicateServiceName(let name):
            return "a service named \"\(name)\" was already added; give each service its own name (override the class's `name` or pass another `name:`)"
        case .secondManager:
            return "only one ServiceManager may exist per process; register every service on the first one"
        case .controlSocket(let problem):
            return problem
        case .systemCallFailed(let call, let failure):
            return "\(call) failed: \(failure); the supervisor cannot start without it"
        case .invalidSettings(let problem):
            return "invalid settings: \(problem)"
        case .settingsTypeMismatch(let service, let serviceSettings, nil):
            return "service \"\(service)\" reads settings of type \(serviceSettings), but the ServiceManager was created without settings; create it with ServiceManager(settings:reload:) and a \(serviceSettings)"
        case .settingsTypeMismatch(let service, let serviceSettings, let managerSettings?):
            return "service \"\(service)\" reads settings of type \(serviceSettings), but the ServiceManager was created with \(managerSettings); make the service a SettingsService<\(managerSettings)> or create the manager with a \(serviceSettings)"
        case .invalidListenerName(let name):
            return "listener name \"\(name)\" is not valid: use only a-z, 0-9, '_' and '-', as in the configuration file"
        case .duplicateListenerName(let name):
            return "a listener named \"\(name)\" is already declared with addListener(_:_:); give each listener its own name"
        case .invalidListener(let name, let problem):
            return "listener \"\(name)\": invalid settings: \(problem)"
        case .addListenerAfterRun(let name):
            return "cannot add a listener after run() has started (listener \"\(name)\"); add every listener before calling run(), or declare it in the configuration file and reload"
        case .listenerUnavailable(let name, let address, let reason):
            return "cannot open listener \"\(name)\" on \(address): \(reason)"
        case .systemdLibraryUnavailable(let variable, let reason):
            return "systemd set \(variable), which Cotyledon reads with libsystemd, but \(SystemdLibrary.fileName) cannot be used (\(reason)); install systemd's library (Debian and Ubuntu: apt-get install libsystemd0)"
        }
    }
}
