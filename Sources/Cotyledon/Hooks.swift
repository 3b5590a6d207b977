/// A hook with the name it is logged under when it throws.
struct NamedHook<Body> {
    let name: String
    let body: Body
}

/// The hooks registered with ``ServiceManager/registerHooks(name:onTerminate:onReload:onNewWorker:onDeadWorker:)``,
/// each list run in registration order.
struct Hooks {
    var terminate: [NamedHook<() throws -> Void>] = []
    var reload: [NamedHook<() throws -> Void>] = []
    var newWorker: [NamedHook<@MainActor (ServiceIdentity, Int, Service) throws -> Void>] = []
    var deadWorker: [NamedHook<(ServiceIdentity, Int, WorkerExitStatus) throws -> Void>] = []
}
