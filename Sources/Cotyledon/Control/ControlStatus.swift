/// The `status` response of the control protocol.
struct ControlStatus: Encodable {
    struct Worker: Encodable {
        let id: Int
        let pid: Int32
        let state: String
        let uptime: Double
        let restarts: Int
        let lastExit: String?

        enum CodingKeys: String, CodingKey {
            case id, pid, state, uptime, restarts, lastExit
        }

        /// Encodes every key, `lastExit` as `null` before any exit.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(pid, forKey: .pid)
            try container.encode(state, forKey: .state)
            try container.encode(uptime, forKey: .uptime)
            try container.encode(restarts, forKey: .restarts)
            try container.encode(lastExit, forKey: .lastExit)
        }
    }

    struct Service: Encodable {
        let name: String
        let configured: Int
        let running: Int
        let ready: Int
        let restarts: Int
        let workers: [Worker]
    }

    let v = 1
    let ok = true
    let pid: Int32
    let phase: String
    let services: [Service]
}
