/// Identifies a service registered with ``ServiceManager/add(_:workers:gracefulShutdownTimeout:)``.
public struct ServiceID: Hashable, Sendable, CustomStringConvertible {
    /// The registration index, starting at 0 in the order services were added.
    public let rawValue: Int

    /// Wraps a registration index (as printed in logs or stored by a control tool).
    ///
    /// - Parameter rawValue: the index, starting at 0 in the order services were added.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// The index as a decimal string.
    public var description: String { String(rawValue) }
}
