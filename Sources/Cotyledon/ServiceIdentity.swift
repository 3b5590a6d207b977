/// The service a hook is about: its ``id``, as ``ServiceManager/add(_:workers:gracefulShutdownTimeout:)``
/// returned it, and its ``name``, as logs and the configuration file write it.
///
/// It prints as its name, so `"\(service)"` in a hook reads `printer`, not an index; compare
/// ``id`` with the ``ServiceID`` `add` returned to tell services apart.
public struct ServiceIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The service's registration index.
    public let id: ServiceID
    /// The service's name.
    public let name: String

    /// Pairs a service's id and name.
    ///
    /// - Parameters:
    ///   - id: the service's registration index.
    ///   - name: the service's name.
    public init(id: ServiceID, name: String) {
        self.id = id
        self.name = name
    }

    /// The service's name.
    public var description: String { name }
}
