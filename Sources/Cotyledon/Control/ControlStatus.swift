/// The `status` response of the control protocol.
struct ControlStatus {
    /// One running worker.
    struct Worker {
        let id: Int
        let pid: Int32
        let state: String
        let uptime: Double
        let restarts: Int
        /// `nil` (JSON `null`) before the slot's first exit.
        let lastExit: String?
    }

    /// One service and its workers.
    struct Service {
        let name: String
        let configured: Int
        let running: Int
        let ready: Int
        let restarts: Int
        let workers: [Worker]
    }

    let pid: Int32
    let phase: String
    let services: [Service]

    /// The response object; every key is present, `lastExit` is `null` before any exit.
    var json: JSONValue {
        .object([
            "v": .integer(1), "ok": .bool(true), "pid": .integer(pid), "phase": .string(phase),
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
                        ])
                    }),
                ])
            }),
        ])
    }
}
