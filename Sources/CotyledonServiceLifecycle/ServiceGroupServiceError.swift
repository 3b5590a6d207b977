/// Why a ``ServiceGroupService`` could not start its group.
public enum ServiceGroupServiceError: Error, Equatable, CustomStringConvertible {
    /// The service was created with ``ServiceGroupService/init(workerID:)`` (for example by
    /// `manager.add(ServiceGroupService.self)`) but does not override
    /// ``ServiceGroupService/makeServices()``, so it has nothing to run.
    case noServices(service: String)

    /// What went wrong and how to fix it.
    public var description: String {
        switch self {
        case .noServices(let service):
            "service \(service) has no services to run: subclass ServiceGroupService and override makeServices(), "
                + "or add it with manager.add(name: \"\(service)\") { workerID in ServiceGroupService(workerID: workerID) { _ in [...] } }"
        }
    }
}
