import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.UpgradeTests {
    /// A process started as the new image of an upgrade whose state record it cannot read.
    struct FailedHandover {
        let exit: ExitStatus
        let stderr: String
        let process: DaemonProcess
        let control: ControlSocketFixture
    }

    /// Starts the fixture with `COTYLEDON_UPGRADE_STATE=variable` and `descriptors` as its 3, 4, …,
    /// a control socket and a unix listener in the control fixture's directory, and waits for
    /// its exit.
    static func startHandedOver(_ driver: Driver, variable: String, descriptors: [Int32] = []) throws -> FailedHandover {
        let control = try ControlSocketFixture()
        let process = try driver.spawn(
            path: try BuildProducts.path(of: "cotyledon-fixture"),
            argv: ["cotyledon-fixture", "listeners", "--workers", "2", "--listen", "api=unix:\(control.directory)/api.sock"]
                + control.daemonArguments,
            environment: ["COTYLEDON_UPGRADE_STATE=\(variable)"], descriptors: descriptors)
        let exit = try process.waitForExit(timeout: .seconds(30))
        return FailedHandover(exit: exit.status, stderr: process.text(of: "stderr"), process: process, control: control)
    }

    /// What every failed handover must show: status 71 (which systemd restarts), a message
    /// naming the problem, nothing forked, no socket file left.
    /// `reapedBefore`: what the driver reaped before this process started.
    static func expectFailedHandover(_ failed: FailedHandover, naming problem: String, driver: Driver, reapedBefore: [Int32] = [],
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(failed.exit == .exited(71), "the new image's status: \(failed.process.tail)", sourceLocation: sourceLocation)
        #expect(failed.stderr.contains("in-place upgrade failed") && failed.stderr.contains(problem),
                "stderr names the problem (\(problem)): \(failed.stderr)", sourceLocation: sourceLocation)
        try driver.waitForNoDescendants()
        #expect(driver.reapedPids == reapedBefore + [failed.process.pid], "nothing was forked: \(driver.reapedPids)", sourceLocation: sourceLocation)
        let started = failed.process.logLines.filter { ["master-started", "worker-started", "listener-opened"].contains($0.event) }
        #expect(started.isEmpty && !failed.process.lines.contains { $0.text.contains("answerer listening") },
                "no master, listener or worker started: \(failed.process.tail)", sourceLocation: sourceLocation)
        let left = try FileManager.default.contentsOfDirectory(atPath: failed.control.directory)
        #expect(left.isEmpty, "no socket file left: \(left)", sourceLocation: sourceLocation)
    }

    @Test("COTYLEDON_UPGRADE_STATE names a descriptor that is not open: exit 71, the message names it, nothing started",
          .timeLimit(.minutes(1)))
    func aHandoverOfAClosedDescriptorExits71() throws {
        let driver = try Driver()
        defer { driver.close() }
        let failed = try Self.startHandedOver(driver, variable: "57")
        try Self.expectFailedHandover(failed, naming: "descriptor 57", driver: driver)
        try driver.expectCleanEnd()
    }

    @Test("the upgrade state is a memory file that is not sealed: exit 71, the message says so, nothing started",
          .timeLimit(.minutes(1)))
    func aHandoverOfAnUnsealedMemoryFileExits71() throws {
        let driver = try Driver()
        defer { driver.close() }
        // A record that would be readable: only the missing seals are wrong.
        let memory = try MemoryFile.create("cotyledon-upgrade-state", holding: Array("{\"format\":1}".utf8), sealed: false)
        defer { close(memory) }
        let failed = try Self.startHandedOver(driver, variable: "3", descriptors: [memory])
        try Self.expectFailedHandover(failed, naming: "not sealed", driver: driver)
        try driver.expectCleanEnd()
    }

    @Test("the upgrade state is a sealed memory file holding no record: exit 71, the message says so, nothing started",
          .timeLimit(.minutes(1)))
    func aHandoverOfGarbageExits71() throws {
        let driver = try Driver()
        defer { driver.close() }
        let garbage: [[UInt8]] = [Array("not json at all".utf8), Array("{\"format\":99}".utf8), [0xff, 0x00, 0x7b]]
        for (bytes, problem) in zip(garbage, ["the upgrade state is not JSON", "format 99", "the upgrade state is not JSON"]) {
            let memory = try MemoryFile.create("cotyledon-upgrade-state", holding: bytes, sealed: true)
            defer { close(memory) }
            let reapedBefore = driver.reapedPids
            let failed = try Self.startHandedOver(driver, variable: "3", descriptors: [memory])
            try Self.expectFailedHandover(failed, naming: problem, driver: driver, reapedBefore: reapedBefore)
        }
        try driver.expectCleanEnd()
    }
}
