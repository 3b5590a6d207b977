import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonProcess {
    /// Sends `signal` to the master and checks a requested stop: it exits 0, logs
    /// `master-exit status=0`, and has reaped all of its workers itself: once nothing is left,
    /// the driver reaped no process but the master.
    /// - Returns: the exit event's time and the time the signal was sent.
    @discardableResult
    func stopAndExpectCleanExit(
        with signal: Int32 = SIGTERM,
        timeout: Duration = .seconds(15),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (signalled: Double, exited: Double) {
        let reapedBefore = Set(driver.reapedPids)
        let signalled = try driver.signal(pid, signal)
        let exit = try waitForExit(timeout: timeout)
        #expect(exit.status == .exited(0), "master exit status; log tail:\n\(tail)", sourceLocation: sourceLocation)
        try driver.waitForNoDescendants()
        let orphans = driver.reapedPids.filter { !reapedBefore.contains($0) && $0 != pid }
        #expect(orphans.isEmpty, "the master exited before reaping its workers \(orphans); log tail:\n\(tail)",
                sourceLocation: sourceLocation)
        let masterExit = events("master-exit").last
        #expect(masterExit?.fields["status"] == "0", "event=master-exit status=0; log tail:\n\(tail)",
                sourceLocation: sourceLocation)
        return (signalled, exit.time)
    }
}
