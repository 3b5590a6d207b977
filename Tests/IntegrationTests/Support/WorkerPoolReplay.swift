/// The master's pool as its ordered events describe it: which worker processes are alive, in
/// which slot, ready or stopping; rolls and reloads in progress; each service's desired count.
///
/// Fed with the master's log lines in order (``apply(_:)``); a line about a pid that does not
/// fit (an exit of a pid not alive, a start of a pid already alive, an exit reported in another
/// slot than its start) is recorded in ``anomalies``: that is pid confusion.
struct WorkerPoolReplay {
    struct Worker: CustomStringConvertible {
        let pid: Int32
        let service: String
        let id: Int
        var ready = false
        var stopping = false

        var description: String {
            "\(service)/\(id)[\(pid)]\(ready ? "" : " not ready")\(stopping ? " stopping" : "")"
        }
    }

    /// Worker processes started and not yet reported exited, by pid.
    private(set) var live: [Int32: Worker] = [:]
    private(set) var started = 0
    private(set) var exited = 0
    /// Pids started again after an earlier process with that pid exited (pid reuse).
    private(set) var reusedPids = 0
    /// Lines about a pid that does not fit its state: possible only with pid confusion in the
    /// master, or when the lines that explain them were dropped (see ``droppedLines``).
    private(set) var anomalies: [String] = []
    /// Exits reported in another slot than their start: pid confusion, whatever was dropped.
    private(set) var slotMismatches: [String] = []
    /// Lines the master said it dropped because its log stream was full (`log-dropped`): the
    /// master never blocks on a slow reader, so under load the stream has gaps.
    private(set) var droppedLines = 0
    /// `roll-started` not yet matched by `roll-complete` or `roll-aborted`.
    private(set) var rollsInProgress = 0
    /// A reload started (`reloading`) or queued (`reload-queued`) and not yet finished
    /// (`reload-complete`, `reload-failed`).
    private(set) var reloadPending = false
    /// Each service's desired count, from `scaled` and `scale-refused` (`workers=`).
    private(set) var desired: [String: Int]
    /// Slots waiting for a delayed respawn (`respawn-delayed` not yet followed by a start).
    private(set) var delayedRespawns: Set<String> = []
    private var everStarted: Set<Int32> = []

    /// - Parameter desired: each service's worker count at start.
    init(desired: [String: Int] = [:]) {
        self.desired = desired
    }

    mutating func apply(_ line: LogLine) {
        guard let event = line.event else { return }
        let service = line.fields["service"] ?? "?"
        switch event {
        case "worker-started":
            guard let pid = line.subjectPid, let id = line.worker else { return anomalies.append("malformed: \(line)") }
            if let alive = live[pid] {
                anomalies.append("started while \(alive) is alive: \(line)")
            }
            if everStarted.contains(pid) { reusedPids += 1 }
            everStarted.insert(pid)
            live[pid] = Worker(pid: pid, service: service, id: id)
            started += 1
            delayedRespawns.remove("\(service)/\(id)")
        case "worker-ready":
            guard let pid = line.subjectPid, live[pid] != nil else { return anomalies.append("ready but not alive: \(line)") }
            live[pid]?.ready = true
        case "worker-stopping":
            guard let pid = line.subjectPid, live[pid] != nil else {
                return anomalies.append("stopping but not alive: \(line)")
            }
            live[pid]?.stopping = true
        case "worker-exited":
            guard let pid = line.subjectPid, let worker = live.removeValue(forKey: pid) else {
                return anomalies.append("exit of a pid not alive: \(line)")
            }
            if worker.id != line.worker || worker.service != service {
                slotMismatches.append("exit reported as \(service)/\(line.worker ?? -1), started as \(worker): \(line)")
            }
            exited += 1
        case "respawn-delayed":
            if let id = line.worker { delayedRespawns.insert("\(service)/\(id)") }
        case "scaled", "scale-refused":
            if let count = line.fields["workers"].flatMap({ Int($0) }) {
                desired[service] = count
                delayedRespawns = delayedRespawns.filter { slot in
                    guard slot.hasPrefix(service + "/"), let id = Int(slot.dropFirst(service.count + 1)) else { return true }
                    return id < count
                }
            }
        case "log-dropped":
            droppedLines += line.fields["lines"].flatMap { Int($0) } ?? 1
        case "roll-started": rollsInProgress += 1
        case "roll-complete", "roll-aborted": rollsInProgress -= 1
        case "reloading", "reload-queued": reloadPending = true
        case "reload-complete", "reload-failed": reloadPending = false
        default: break
        }
    }

    /// No roll or reload in progress, no delayed respawn, every live worker ready and none
    /// stopping: the master has nothing left to do until something happens to it.
    var isQuiescent: Bool {
        rollsInProgress == 0 && !reloadPending && delayedRespawns.isEmpty
            && live.values.allSatisfy { $0.ready && !$0.stopping }
    }

    /// The live workers of `service`, sorted by id.
    func workers(of service: String) -> [Worker] {
        live.values.filter { $0.service == service }.sorted { ($0.id, $0.pid) < ($1.id, $1.pid) }
    }

    var summary: String {
        "live \(live.values.sorted { ($0.service, $0.id) < ($1.service, $1.id) }), desired \(desired), "
            + "rolls \(rollsInProgress), reload pending \(reloadPending), delayed \(delayedRespawns.sorted()), "
            + "started \(started), exited \(exited), reused pids \(reusedPids), anomalies \(anomalies.count), "
            + "slot mismatches \(slotMismatches.count), dropped lines \(droppedLines)"
    }
}
