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

extension DaemonProcess {
    /// The fewest ready workers of `service` at any moment of the log lines in `lines`,
    /// replaying their events from the ready workers `initial` (pids): what a rolling
    /// restart must keep at or above the configured count.
    func fewestReadyWorkers(of service: String = "printer", from initial: Set<Int32>, over lines: ClosedRange<Int>) -> Int {
        var ready = initial
        var fewest = ready.count
        for line in logLines where lines.contains(line.index) {
            guard let pid = line.subjectPid, line.fields["service"] == service else { continue }
            switch line.event {
            case "worker-ready": ready.insert(pid)
            case "worker-stopping", "worker-exited": ready.remove(pid)
            default: continue
            }
            fewest = min(fewest, ready.count)
        }
        return fewest
    }
}
