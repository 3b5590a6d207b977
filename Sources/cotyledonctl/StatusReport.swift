/// The answer to `status`: the master, its services and their workers.
struct StatusReport: Decodable {
    /// One worker slot.
    struct Worker: Decodable {
        let id: Int
        let pid: Int32
        /// `starting`, `ready` or `stopping`.
        let state: String
        /// Seconds since the worker was forked.
        let uptime: Double
        /// How many times this slot's worker was replaced.
        let restarts: Int
        /// How the slot's previous worker ended (`exited:1`, `killed:SIGKILL`), if one did.
        let lastExit: String?
    }

    /// One service.
    struct Service: Decodable {
        let name: String
        /// The workers it should have.
        let configured: Int
        /// The workers alive.
        let running: Int
        /// The workers that reported ready.
        let ready: Int
        /// Replacements of its workers in total.
        let restarts: Int
        let workers: [Worker]
    }

    /// The master's pid.
    let pid: Int32
    /// `running` or `stopping`.
    let phase: String
    let services: [Service]
}
