extension ManagerConfiguration {
    /// The rules of a daemon's listeners as a whole, the one check of a configuration file
    /// (`validate(knownServices:knownListeners:)` of `CotyledonConfiguration`), of
    /// ``ServiceManager/run()`` and of a reload: each listener's name and settings, no two
    /// listeners at the same address (but port 0), and that every service names only
    /// declared listeners.
    ///
    /// - Parameters:
    ///   - listeners: the listeners whose settings are checked, by name.
    ///   - services: the settings of each service, by name.
    ///   - declared: the listener names a service may name besides the keys of `listeners`
    ///     (those added in code with ``ServiceManager/addListener(_:_:)``); `nil` when they
    ///     are not known, and services' listeners are then not checked.
    ///   - key: the key of the listeners in the file (`listeners`).
    ///   - servicesKey: the key of the services in the file (`services`).
    /// - Throws: the first rule broken, the listeners then the services in name order, with
    ///   its key path (`listeners.http.backlog`, `services.web.listeners`).
    package static func checkListenerRules(
        listeners: [String: ListenerConfiguration], services: [String: ServiceConfiguration], declared: Set<String>?,
        key: String = "listeners", servicesKey: String = "services"
    ) throws(ConfigurationRuleViolation) {
        for name in listeners.keys.sorted() {
            guard ListenerConfiguration.isValidName(name) else {
                throw .invalidValue([key, name], "'\(name.prefix(40))' is not a valid listener name: use only a-z, 0-9, '_' and '-'",
                                    fix: "rename the listener")
            }
            do {
                try listeners[name]!.checkRules()
            } catch {
                throw error.nested(under: [key, name])
            }
        }
        var addresses: [(address: ListenerConfiguration.Address, name: String)] = []
        for name in listeners.keys.sorted() {
            let address = listeners[name]!.address
            if case .tcp(_, 0) = address { continue }
            if let first = addresses.first(where: { $0.address == address })?.name {
                throw .invalidValue([key, name, ListenerConfiguration.CodingKeys.address.rawValue],
                                    "\(address) is also the address of listener '\(first)'",
                                    fix: "give each listener its own address; one listener can serve several services")
            }
            addresses.append((address, name))
        }
        guard let declared else { return }
        let names = declared.union(listeners.keys).sorted()
        for (service, settings) in services.sorted(by: { $0.key < $1.key }) {
            for name in settings.listeners ?? [] where !names.contains(name) {
                throw .invalidValue([servicesKey, service, ServiceConfiguration.CodingKeys.listeners.rawValue],
                                    "unknown listener '\(name.prefix(40))': \(names.isEmpty ? "no listener is declared" : "the listeners are " + names.joined(separator: ", "))",
                                    fix: "declare it under \(key) or remove it from the service")
            }
        }
    }
}
