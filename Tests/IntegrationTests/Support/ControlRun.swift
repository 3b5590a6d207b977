import Foundation

/// One finished run of `cotyledonctl`: how it exited and what it printed.
struct ControlRun: CustomStringConvertible {
    let arguments: [String]
    let status: ExitStatus
    let stdout: String
    let stderr: String
    /// CLOCK_MONOTONIC seconds when the driver spawned it and when it reaped it.
    let spawned: Double
    let exited: Double

    /// How long it ran, in seconds.
    var duration: Double { exited - spawned }

    /// `stdout` parsed as one JSON object (for `--json` runs).
    var json: [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
    }

    /// The `services[…]` entry named `service` of a `--json status` answer.
    func service(_ name: String) -> [String: Any]? {
        (json?["services"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    /// Its workers as `id → pid`, from a `--json status` answer.
    func workerPids(of service: String) -> [Int: Int32] {
        var pids: [Int: Int32] = [:]
        for worker in self.service(service)?["workers"] as? [[String: Any]] ?? [] {
            if let id = worker["id"] as? Int, let pid = worker["pid"] as? Int { pids[id] = Int32(pid) }
        }
        return pids
    }

    /// The master's `build` in a `--json status` answer.
    var build: String? {
        json?["build"] as? String
    }

    /// The `build` of each of its workers (`nil` where it is null) from a `--json status` answer.
    func workerBuilds(of service: String) -> [String?] {
        (self.service(service)?["workers"] as? [[String: Any]] ?? []).map { $0["build"] as? String }
    }

    var description: String {
        "cotyledonctl \(arguments.joined(separator: " ")) → \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

extension Driver {
    /// Runs `cotyledonctl --socket <socket> <arguments>` through the driver and waits until it exits.
    /// - Parameters:
    ///   - socket: `nil` to leave `--socket` out (the path then comes from the environment).
    ///   - environment: `KEY=VALUE` entries added to the inherited environment.
    ///   - asUser: a uid to run it as (same gid, no supplementary groups), through `setpriv`.
    func control(
        socket: String?, _ arguments: [String], environment: [String] = [], asUser uid: Int? = nil,
        timeout: Duration = .seconds(40)
    ) throws -> ControlRun {
        let argv = (socket.map { ["--socket", $0] } ?? []) + arguments
        let process: DaemonProcess
        if let uid {
            let setpriv = "/usr/bin/setpriv"
            guard FileManager.default.isExecutableFile(atPath: setpriv) else {
                throw DriverError("\(setpriv) (util-linux) is needed to run cotyledonctl as another user")
            }
            process = try spawn(
                path: setpriv,
                argv: ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups",
                       try BuildProducts.path(of: "cotyledonctl")] + argv,
                environment: environment)
        } else {
            process = try spawn("cotyledonctl", argv, environment: environment)
        }
        let exit = try process.waitForExit(timeout: timeout)
        return ControlRun(arguments: argv, status: exit.status, stdout: process.text(of: "stdout"),
                          stderr: process.text(of: "stderr"), spawned: process.spawnTime, exited: exit.time)
    }
}
