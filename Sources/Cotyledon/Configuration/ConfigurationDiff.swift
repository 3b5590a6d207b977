import Logging

/// What changes between two configurations: per service, and at the manager level.
///
/// A pure comparison, for a reload to decide what to do:
///
/// ```swift
/// let diff = ConfigurationDiff(from: running, to: reloaded)
/// for (name, change) in diff.services {
///     switch change {
///     case .unchanged: break
///     case .resized(_, let workers): …   // resize in place
///     case .changed: …                   // rolling restart
///     case .added, .removed: …
///     }
/// }
/// ```
///
/// A service's own settings are compared as they are written: a service without a
/// ``ServiceConfiguration/gracefulShutdownTimeout`` is `.unchanged` even when the
/// manager's default changes; that shows in ``gracefulShutdownTimeout``.
public struct ConfigurationDiff: Equatable, Sendable {
    /// The change of every service named in either configuration.
    public var services: [String: ServiceConfigurationChange]
    /// The new log level, if it changed.
    public var logLevel: ConfigurationValueChange<Logger.Level>?
    /// The new default graceful shutdown timeout, if it changed.
    public var gracefulShutdownTimeout: ConfigurationValueChange<Duration>?
    /// The new startup timeout (`nil` = none), if it changed.
    public var startupTimeout: ConfigurationValueChange<Duration?>?
    /// The new listeners, if any was added, removed or changed.
    public var listeners: ConfigurationValueChange<[String: ListenerConfiguration]>?

    /// Compares two manager configurations.
    ///
    /// - Parameters:
    ///   - old: the configuration in force.
    ///   - new: the configuration to apply.
    public init(from old: ManagerConfiguration, to new: ManagerConfiguration) {
        services = ConfigurationDiff.services(from: old.services, to: new.services)
        logLevel = .between(old.logLevel, new.logLevel)
        gracefulShutdownTimeout = .between(old.gracefulShutdownTimeout, new.gracefulShutdownTimeout)
        startupTimeout = .between(old.startupTimeout, new.startupTimeout)
        listeners = .between(old.listeners, new.listeners)
    }

    /// Compares two sets of services, by name.
    ///
    /// - Parameters:
    ///   - old: the services in force.
    ///   - new: the services to apply.
    /// - Returns: the change of every service named in either.
    public static func services(
        from old: [String: ServiceConfiguration],
        to new: [String: ServiceConfiguration]
    ) -> [String: ServiceConfigurationChange] {
        var changes: [String: ServiceConfigurationChange] = [:]
        for (name, before) in old {
            guard let after = new[name] else {
                changes[name] = .removed
                continue
            }
            changes[name] = change(from: before, to: after)
        }
        for name in new.keys where old[name] == nil {
            changes[name] = .added
        }
        return changes
    }

    /// Compares the settings of one service.
    public static func change(from old: ServiceConfiguration, to new: ServiceConfiguration) -> ServiceConfigurationChange {
        if old == new { return .unchanged }
        var resizedOnly = old
        resizedOnly.workers = new.workers
        return resizedOnly == new ? .resized(from: old.workers, to: new.workers) : .changed
    }

    /// Whether nothing changes at all.
    public var isEmpty: Bool {
        logLevel == nil && gracefulShutdownTimeout == nil && startupTimeout == nil && listeners == nil
            && services.values.allSatisfy { $0 == .unchanged }
    }

    /// The names of the services with the given change, sorted.
    public func serviceNames(where predicate: (ServiceConfigurationChange) -> Bool) -> [String] {
        services.filter { predicate($0.value) }.keys.sorted()
    }
}
