import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.FaultInjectionTests {
    /// The master as PID 1 of its own pid namespace, as in a container started without an
    /// init: the kernel drops signals that PID 1 has no handler for, re-parents every
    /// orphan of the namespace to it, and kills the whole namespace when it exits.
    @Suite(.enabled(if: getuid() == 0, "unshare --pid needs root (CI runs as root)"))
    struct PidNamespaceInit {
        /// Starts the `adopt-orphan` fixture (one worker that leaves a `sleep` orphan) as PID 1
        /// of a new pid namespace, and finds, from the driver's namespace, the master, its
        /// worker and the orphan's pid in the namespace.
        private static func start(_ driver: Driver, mountProc: Bool) throws
            -> (unshare: DaemonProcess, master: ProcessSnapshot, worker: ProcessSnapshot, orphan: String)
        {
            let unshare = try driver.spawn(
                path: "/usr/bin/unshare",
                argv: ["unshare", "--pid", "--fork", "--kill-child"] + (mountProc ? ["--mount-proc"] : [])
                    + [try BuildProducts.path(of: "cotyledon-fixture"), "adopt-orphan", "--workers", "1"])
            let started = try unshare.waitForEvent("master-started")
            #expect(started.fields["pid"] == "1", "the master is PID 1 of the namespace: \(started)")
            let line = try unshare.waitForLine("the worker's orphan") {
                $0.stream == "stdout" && $0.text.hasPrefix("orphan pid=")
            }
            _ = try unshare.waitForEvent("worker-ready")
            let orphan = try #require(line.text.split(separator: " ").first { $0.hasPrefix("pid=") }.map { String($0.dropFirst(4)) })
            let processes = try driver.ps()
            let master = try #require(processes.children(of: unshare.pid).first, "the master under unshare: \(processes)")
            let children = processes.children(of: master.pid)
            let worker = try #require(children.first { $0.comm == "orphaner/0" }, "the worker: \(children)")
            // The orphan (`setsid`, then `sleep` once it has exec'd) now has PID 1 as its parent.
            #expect(children.contains { $0.pid != worker.pid && ($0.comm == "sleep" || $0.comm == "setsid") },
                    "the orphan re-parented to PID 1: \(children)")
            return (unshare, master, worker, orphan)
        }

        @Test("as PID 1 of a container (own /proc): SIGKILL of a worker is repaired, SIGTERM from outside stops it, the orphan is ended and reaped",
              .timeLimit(.minutes(1)))
        func runsAsInitOfAContainer() throws {
            let driver = try Driver()
            defer { driver.close() }
            let (unshare, master, worker, orphan) = try Self.start(driver, mountProc: true)
            #expect(unshare.events("proc-foreign").isEmpty, "log:\n\(unshare.tail)")

            // A worker killed from outside is reaped and respawned by PID 1.
            var mark = unshare.cursor
            try driver.signal(worker.pid, SIGKILL)
            let exited = try unshare.waitForEvent("worker-exited", from: mark)
            #expect(exited.fields["status"] == "killed:SIGKILL" && exited.fields["reason"] == "crash", "\(exited)")
            _ = try unshare.waitForEvent("worker-ready", from: mark)

            // SIGTERM from the parent namespace reaches PID 1 (blocked and read from its
            // signalfd, so the kernel does not drop it as it drops signals PID 1 ignores).
            mark = unshare.cursor
            try driver.signal(master.pid, SIGTERM)
            let exit = try unshare.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(0), "unshare passes on the master's status; log:\n\(unshare.tail)")
            // The orphan got SIGTERM and was reaped (the respawned worker's own orphan, or its
            // shell caught mid-start, may be reaped too).
            let reaped = unshare.events("reaped-other").filter { $0.index >= mark }
            #expect(reaped.contains { $0.fields["pid"] == orphan && $0.fields["status"] == "killed:SIGTERM" },
                    "the orphan (namespace pid \(orphan)) ended and reaped at stop; log:\n\(unshare.tail)")
            #expect(unshare.events("master-exit").last?.fields["status"] == "0", "log:\n\(unshare.tail)")
            try driver.expectCleanEnd()
        }

        @Test("as PID 1 of a pid namespace whose /proc is the host's: warns, never signals the host's pids, stops cleanly",
              .timeLimit(.minutes(1)))
        func foreignProcIsNotTrusted() throws {
            let driver = try Driver()
            defer { driver.close() }
            let (unshare, master, _, _) = try Self.start(driver, mountProc: false)
            #expect(unshare.events("proc-foreign").count == 1, "log:\n\(unshare.tail)")
            try driver.signal(master.pid, SIGTERM)
            let exit = try unshare.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(0), "log:\n\(unshare.tail)")
            #expect(unshare.events("reaped-other").isEmpty, "no host pid taken for an adopted orphan; log:\n\(unshare.tail)")
            // The orphan dies with the namespace when its PID 1 exits.
            try driver.expectCleanEnd()
        }
    }
}
