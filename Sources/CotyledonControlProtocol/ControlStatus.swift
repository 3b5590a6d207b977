/// The answer to `status`: the master, its services and their workers.
public struct ControlStatus: Equatable, Sendable {
    /// One running worker.
    public struct Worker: Equatable, Sendable {
        /// Its id in the service, `0..<workers`.
        public var id: Int
        public var pid: Int32
        /// `starting`, `ready` or `stopping`.
        public var state: String
        /// Seconds since it was forked.
        public var uptime: Double
        /// How many times this slot's worker was replaced after an unrequested exit.
        public var restarts: Int
        /// How the slot's previous worker ended (`exited:1`, `killed:SIGKILL`); `nil` before any exit.
        public var lastExit: String?
        /// The build the worker runs (`1.4.0 (build 3f2a9c1b7d4e)`): after an in-place upgrade,
        /// workers started before it run the previous build until they are replaced; `nil`
        /// from a daemon that does not report builds.
        public var build: String?

        /// A worker row.
        public init(id: Int, pid: Int32, state: String, uptime: Double, restarts: Int, lastExit: String?, build: String? = nil) {
            self.id = id
            self.pid = pid
            self.state = state
            self.uptime = uptime
            self.restarts = restarts
            self.lastExit = lastExit
            self.build = build
        }
    }

    /// One service and its workers.
    public struct Service: Equatable, Sendable {
        public var name: String
        /// The workers it should have.
        public var configured: Int
        /// The workers alive (replacements and stopping ones included).
        public var running: Int
        /// The workers that reported ready.
        public var ready: Int
        /// Replacements of its workers after unrequested exits, in total.
        public var restarts: Int
        public var workers: [Worker]

        /// A service entry.
        public init(name: String, configured: Int, running: Int, ready: Int, restarts: Int, workers: [Worker]) {
            self.name = name
            self.configured = configured
            self.running = running
            self.ready = ready
            self.restarts = restarts
            self.workers = workers
        }
    }

    /// The master's pid.
    public var pid: Int32
    /// `running` or `stopping`.
    public var phase: String
    /// The build the master runs (`1.4.0 (build 3f2a9c1b7d4e)`); `nil` from a daemon that
    /// does not report builds.
    public var build: String?
    public var services: [Service]

    /// A status answer.
    public init(pid: Int32, phase: String, build: String? = nil, services: [Service]) {
        self.pid = pid
        self.phase = phase
        self.build = build
        self.services = services
    }

    /// Reads a status answer.
    /// - Throws: ``ControlError`` `bad-request` naming the first member missing or mistyped.
    public init(json: JSONValue) throws(ControlError) {
        func member<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?, _ path: String) throws(ControlError) -> T {
            guard let value, let read = read(value) else {
                throw ControlError(.badRequest, "the status answer's \(path) is missing or mistyped")
            }
            return read
        }
        pid = Int32(try member(json["pid"], \.integerValue, "pid"))
        phase = try member(json["phase"], \.stringValue, "phase")
        build = json["build"]?.stringValue
        var services: [Service] = []
        for (index, entry) in try member(json["services"], \.arrayValue, "services").enumerated() {
            let place = "services[\(index)]"
            var workers: [Worker] = []
            for (row, worker) in try member(entry["workers"], \.arrayValue, "\(place).workers").enumerated() {
                let at = "\(place).workers[\(row)]"
                workers.append(Worker(
                    id: try member(worker["id"], \.integerValue, "\(at).id"),
                    pid: Int32(try member(worker["pid"], \.integerValue, "\(at).pid")),
                    state: try member(worker["state"], \.stringValue, "\(at).state"),
                    uptime: try member(worker["uptime"], \.numberValue, "\(at).uptime"),
                    restarts: try member(worker["restarts"], \.integerValue, "\(at).restarts"),
                    lastExit: worker["lastExit"]?.stringValue,
                    build: worker["build"]?.stringValue))
            }
            services.append(Service(
                name: try member(entry["name"], \.stringValue, "\(place).name"),
                configured: try member(entry["configured"], \.integerValue, "\(place).configured"),
                running: try member(entry["running"], \.integerValue, "\(place).running"),
                ready: try member(entry["ready"], \.integerValue, "\(place).ready"),
                restarts: try member(entry["restarts"], \.integerValue, "\(place).restarts"),
                workers: workers))
        }
        self.services = services
    }

    /// The answer object; every member is present, `lastExit` is `null` before any exit and
    /// `build` is `null` when unknown.
    public var json: JSONValue {
        .object([
            "v": .integer(ControlRequest.protocolVersion), "ok": .bool(true), "pid": .integer(pid), "phase": .string(phase),
            "build": build.map(JSONValue.string) ?? .null,
            "services": .array(services.map { service in
                .object([
                    "name": .string(service.name), "configured": .integer(service.configured),
                    "running": .integer(service.running), "ready": .integer(service.ready),
                    "restarts": .integer(service.restarts),
                    "workers": .array(service.workers.map { worker in
                        .object([
                            "id": .integer(worker.id), "pid": .integer(worker.pid), "state": .string(worker.state),
                            "uptime": .number(worker.uptime), "restarts": .integer(worker.restarts),
                            "lastExit": worker.lastExit.map(JSONValue.string) ?? .null,
                            "build": worker.build.map(JSONValue.string) ?? .null,
                        ])
                    }),
                ])
            }),
        ])
    }
}
