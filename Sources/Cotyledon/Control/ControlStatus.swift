/// The `status` response of the control protocol.
struct ControlStatus: Encodable {
    struct Worker: Encodable {
        let id: Int
        let pid: Int32
        let state: String
        let uptime: Double
        let restarts: Int
        let lastExit: String?
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
