extension DaemonProcess {
    /// Pids of a service's ready workers in their slots, by worker id, from the event stream:
    /// a worker counts from its `worker-ready` line until its `worker-stopping` or
    /// `worker-exited` line.
    func liveWorkers(of service: String = "printer") -> [Int: Int32] {
        var live: [Int: Int32] = [:]
        for line in logLines {
            guard let pid = line.subjectPid, let id = line.worker, line.fields["service"] == service else { continue }
            switch line.event {
            case "worker-ready": live[id] = pid
            case "worker-stopping", "worker-exited": if live[id] == pid { live[id] = nil }
            default: break
            }
        }
        return live
    }
}
