import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite {
    /// The fault-injection suite: what the supervisor survives (the README's Reliability table). Its tests live in
    /// the `FaultInjectionTests+<Fault>.swift` files, one nested suite per kind of fault.
    @Suite
    struct FaultInjectionTests {
        /// The master was SIGKILLed: checks that every process it left behind is gone within
        /// 1 s of its death, and that every worker it started is accounted for.
        ///
        /// The driver is a child subreaper, so a worker that outlives the master is re-parented
        /// to it and reaped by it: its reap time bounds the worker's lifetime. A worker the
        /// master reaped itself before dying has its `worker-exited` line.
        static func expectEverythingGoneWithinOneSecond(
            after masterExit: (status: ExitStatus, time: Double), of daemon: DaemonProcess, driver: Driver,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            #expect(masterExit.status == .killed("SIGKILL"), "log:\n\(daemon.tail)", sourceLocation: sourceLocation)
            try driver.waitForNoDescendants(timeout: .seconds(5))
            let exits = driver.read { $0.exits }
            let survivors = exits.filter { $0.key != daemon.pid }
            let late = survivors.filter { $0.value.time - masterExit.time >= 1.0 }
                .map { "\($0.key) reaped \($0.value.time - masterExit.time) s after the master, \($0.value.status)" }
            #expect(late.isEmpty, "processes outlived the master by 1 s or more: \(late); log:\n\(daemon.tail)",
                    sourceLocation: sourceLocation)
            let started = Set(daemon.events("worker-started").compactMap(\.subjectPid))
            let reapedByMaster = Set(daemon.events("worker-exited").compactMap(\.subjectPid))
            let unaccounted = started.subtracting(reapedByMaster).subtracting(survivors.keys)
            #expect(unaccounted.isEmpty, "workers neither reaped by the master nor by the driver: \(unaccounted)",
                    sourceLocation: sourceLocation)
        }

        /// Replays every log line of `daemon` so far.
        static func replay(_ daemon: DaemonProcess, desired: [String: Int] = [:]) -> WorkerPoolReplay {
            var replay = WorkerPoolReplay(desired: desired)
            for line in daemon.logLines where line.pid == daemon.pid {
                replay.apply(line)
            }
            return replay
        }
    }
}
