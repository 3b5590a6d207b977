/// The settings of one service in a configuration file: a mapping under
/// `services.<name>` in ``ManagerConfiguration``, or anywhere in a daemon's own model.
///
/// ```yaml
/// workers: 4                        # required
/// min_workers: 1                    # SIGTTOU never goes below
/// max_workers: 10000                # SIGTTIN never goes above
/// graceful_shutdown_timeout: null   # seconds; null = the manager's
/// readiness_timeout: 30             # seconds
/// restart: { initial_delay: 0.1 }   # see RestartPolicy; every key optional
/// listeners: [http]                 # the manager's listeners its workers get; default all
/// ```
///
/// Only `workers` is required. Durations are numbers of seconds; fractions are allowed.
/// ``ServiceManager`` checks the rules of the settings of every service it adds; the
/// `CotyledonConfiguration` module reads them from a file and checks them there.
public struct ServiceConfiguration: Equatable, Sendable {
    /// How many workers to keep alive, in ``minWorkers``...``maxWorkers``.
    public var workers: Int
    /// The fewest workers resizing (`SIGTTOU`, ``ServiceManager/reconfigure(_:workers:)``) leaves; default 1.
    public var minWorkers: Int
    /// The most workers resizing (`SIGTTIN`) creates; default ``ServiceManager/maximumWorkers``.
    public var maxWorkers: Int
    /// How long a worker gets to stop after `SIGTERM` before it is killed; `nil` (the
    /// default) uses the manager's ``ManagerConfiguration/gracefulShutdownTimeout``.
    public var gracefulShutdownTimeout: Duration?
    /// How long a replacement worker gets to report ready during a rolling restart before
    /// the roll is aborted (start-up is bounded by ``ManagerConfiguration/startupTimeout``); default 30 s.
    public var readinessTimeout: Duration
    /// When dead workers are respawned; default ``RestartPolicy/default``.
    public var restart: RestartPolicy
    /// Hung-worker detection; overrides the service class's ``Service/heartbeatTimeout``
    /// when set. `nil`: the class's value.
    public var heartbeatTimeout: Duration?
    /// Workers older than this are replaced by a readiness-gated rolling restart
    /// (recycling, as gunicorn's `max_requests`); `nil`: never.
    public var maxLifetime: Duration?
    /// Spread of ``maxLifetime`` in `0...1`: each worker is recycled after
    /// `maxLifetime × (1 − jitter × random)`, so a pool does not recycle at once.
    public var lifetimeJitter: Double
    /// The names of the declared listeners (``ManagerConfiguration/listeners``) this
    /// service's workers get in ``Service/listeners``; `nil` (the default): every listener,
    /// and every socket systemd passed. A worker does not hold the others.
    public var listeners: [String]?

    /// The default ``readinessTimeout``: 30 seconds.
    public static let defaultReadinessTimeout: Duration = .seconds(30)

    /// Creates the settings of a service; every argument but `workers` has the file's default.
    ///
    /// - Parameters:
    ///   - workers: how many workers to keep alive.
    ///   - minWorkers: the fewest workers resizing leaves.
    ///   - maxWorkers: the most workers resizing creates.
    ///   - gracefulShutdownTimeout: the time to stop after `SIGTERM`; `nil` = the manager's.
    ///   - readinessTimeout: the time a replacement worker gets to report ready during a
    ///     rolling restart before the roll is aborted.
    ///   - restart: when dead workers are respawned.
    ///   - heartbeatTimeout: hung-worker detection; `nil`: the service class's value.
    ///   - maxLifetime: the age at which workers are recycled; `nil`: never.
    ///   - lifetimeJitter: the spread of `maxLifetime`, in `0...1`.
    ///   - listeners: the names of the listeners its workers get; `nil`: every one.
    public init(
        workers: Int,
        minWorkers: Int = 1,
        maxWorkers: Int = ServiceManager.maximumWorkers,
        gracefulShutdownTimeout: Duration? = nil,
        readinessTimeout: Duration = ServiceConfiguration.defaultReadinessTimeout,
        restart: RestartPolicy = .default,
        heartbeatTimeout: Duration? = nil,
        maxLifetime: Duration? = nil,
        lifetimeJitter: Double = 0.1,
        listeners: [String]? = nil
    ) {
        self.listeners = listeners
        self.heartbeatTimeout = heartbeatTimeout
        self.maxLifetime = maxLifetime
        self.lifetimeJitter = lifetimeJitter
        self.workers = workers
        self.minWorkers = minWorkers
        self.maxWorkers = maxWorkers
        self.gracefulShutdownTimeout = gracefulShutdownTimeout
        self.readinessTimeout = readinessTimeout
        self.restart = restart
    }

    /// The settings' keys as a configuration file writes them.
    package enum CodingKeys: String, CodingKey, CaseIterable {
        case workers
        case minWorkers = "min_workers"
        case maxWorkers = "max_workers"
        case gracefulShutdownTimeout = "graceful_shutdown_timeout"
        case readinessTimeout = "readiness_timeout"
        case restart
        case heartbeatTimeout = "heartbeat_timeout"
        case maxLifetime = "max_lifetime"
        case lifetimeJitter = "lifetime_jitter"
        case listeners
    }

    /// Checks that `workers`, `min_workers` and `max_workers` are in
    /// `1...ServiceManager.maximumWorkers` with `min_workers <= workers <= max_workers`,
    /// that the timeouts are more than 0 and at most one day, the `restart` policy, and
    /// that `listeners` holds valid names, each once.
    ///
    /// - Throws: the first rule broken, with the key path relative to this mapping (`workers`).
    package func checkRules() throws(ConfigurationRuleViolation) {
        let limit = ServiceManager.maximumWorkers
        for (key, value) in [(CodingKeys.workers, workers), (.minWorkers, minWorkers), (.maxWorkers, maxWorkers)] {
            guard (1...limit).contains(value) else {
                throw .invalidValue([key.rawValue], "must be between 1 and \(limit), got \(value)", fix: "set a count in that range")
            }
        }
        guard minWorkers <= maxWorkers else {
            throw .invalidValue([CodingKeys.minWorkers.rawValue], "\(minWorkers) is greater than max_workers (\(maxWorkers))",
                                fix: "lower min_workers or raise max_workers")
        }
        guard (minWorkers...maxWorkers).contains(workers) else {
            throw .invalidValue([CodingKeys.workers.rawValue],
                                "must be between min_workers (\(minWorkers)) and max_workers (\(maxWorkers)), got \(workers)",
                                fix: "change workers or the bounds")
        }
        if let gracefulShutdownTimeout {
            try ServiceConfiguration.validateTimeout(gracefulShutdownTimeout, key: CodingKeys.gracefulShutdownTimeout.rawValue)
        }
        try ServiceConfiguration.validateTimeout(readinessTimeout, key: CodingKeys.readinessTimeout.rawValue)
        if let heartbeatTimeout {
            try ServiceConfiguration.validateTimeout(heartbeatTimeout, key: CodingKeys.heartbeatTimeout.rawValue)
        }
        if let maxLifetime {
            try ServiceConfiguration.validateTimeout(maxLifetime, key: CodingKeys.maxLifetime.rawValue)
        }
        guard (0...1).contains(lifetimeJitter) else {
            throw .invalidValue([CodingKeys.lifetimeJitter.rawValue], "must be between 0 and 1, got \(lifetimeJitter)",
                                fix: "set the spread of max_lifetime as a fraction, e.g. 0.1")
        }
        for (index, name) in (listeners ?? []).enumerated() {
            guard ListenerConfiguration.isValidName(name) else {
                throw .invalidValue([CodingKeys.listeners.rawValue, "[\(index)]"], "'\(name.prefix(40))' is not a valid listener name",
                                    fix: "name a listener declared under listeners (only a-z, 0-9, '_' and '-')")
            }
            guard listeners!.firstIndex(of: name) == index else {
                throw .invalidValue([CodingKeys.listeners.rawValue, "[\(index)]"], "'\(name)' is listed twice", fix: "list each listener once")
            }
        }
        do {
            try restart.checkRules()
        } catch {
            throw error.nested(under: [CodingKeys.restart.rawValue])
        }
    }

    /// Checks that a timeout is more than 0 and at most one day.
    package static func validateTimeout(_ timeout: Duration, key: String) throws(ConfigurationRuleViolation) {
        guard timeout > .zero, timeout <= .maximumConfiguredTimeout else {
            throw .invalidValue([key], "must be more than 0 and at most 86400 seconds (one day), got \(timeout.configurationSeconds)",
                                fix: "set a number of seconds in that range")
        }
    }
}
