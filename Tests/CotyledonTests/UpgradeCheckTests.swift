import Testing
@testable import Cotyledon

/// The verdict of an upgrade's check run, from its output and exit.
@Suite struct UpgradeCheckTests {
    private func verdict(_ output: String, _ status: WorkerExitStatus) -> UpgradeCheck.Verdict {
        UpgradeCheck.verdict(path: "/opt/d/bin/d", output: Array(output.utf8), status: status)
    }

    @Test func anOkLineAndStatusZeroPass() {
        #expect(verdict("warming up\ncotyledon-upgrade-check ok build=1.1.0 (build 3f2a9c1b7d4e)\n", .exited(code: 0))
                == .pass(build: "1.1.0 (build 3f2a9c1b7d4e)"))
    }

    @Test func aFailedStatusRefusesWithTheLastLine() {
        #expect(verdict("cotyledon-upgrade-check ok build=x\nconfig.yaml:3: bad value\n", .exited(code: 78))
                == .refuse(reason: "the check of /opt/d/bin/d exited with status 78: config.yaml:3: bad value"))
    }

    @Test func aSignalRefuses() {
        #expect(verdict("", .killed(by: .init(rawValue: 11), coreDumped: false))
                == .refuse(reason: "the check of /opt/d/bin/d killed by SIGSEGV (no output)"))
    }

    @Test func statusZeroWithoutTheOkLineRefuses() {
        #expect(verdict("hello\n", .exited(code: 0))
                == .refuse(reason: "the check of /opt/d/bin/d printed no \"cotyledon-upgrade-check ok\" line: hello"))
    }

    @Test func onlyTheLastBytesOfTheOutputAreKept() {
        let check = UpgradeCheck(path: "/x", pid: 1, output: .init(rawValue: -1))
        check.append(ArraySlice(repeating: UInt8(ascii: "a"), count: UpgradeCheck.maximumOutput))
        check.append(ArraySlice("tail".utf8))
        #expect(check.text.count == UpgradeCheck.maximumOutput)
        #expect(check.text.suffix(4) == Array("tail".utf8))
    }
}

/// The environments and the executable path of an upgrade.
@Suite struct UpgradeEnvironmentTests {
    private let environment = [
        "PATH=/usr/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1000", "WATCHDOG_PID=7",
        "LISTEN_PID=7", "LISTEN_FDS=1", "LISTEN_FDNAMES=http", "COTYLEDON_UPGRADE_STATE=9", "HOME=/root",
    ]

    @Test func theCheckRunTalksToNoSystemdAndTakesNoSocket() {
        #expect(UpgradeEnvironment.forCheck(environment) == ["PATH=/usr/bin", "HOME=/root", "COTYLEDON_UPGRADE_CHECK=1"])
    }

    @Test func theNewImageKeepsTheNotifySocketButNotTheListenVariables() {
        #expect(UpgradeEnvironment.forExec(environment + ["COTYLEDON_UPGRADE_CHECK=1"], stateDescriptor: 12) == [
            "PATH=/usr/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1000", "WATCHDOG_PID=7", "HOME=/root",
            "COTYLEDON_UPGRADE_STATE=12",
        ])
    }

    @Test func theExecutableIsResolvedWithoutFollowingLinks() {
        let none: () -> String? = { "/proc/self/exe target" }
        #expect(UpgradeExecutable.resolve(argv0: "/opt/d/current/bin/d", directory: "/", searchPath: nil, fallback: none) == "/opt/d/current/bin/d")
        #expect(UpgradeExecutable.resolve(argv0: "./bin/d", directory: "/srv", searchPath: nil, fallback: none) == "/srv/bin/d")
        #expect(UpgradeExecutable.resolve(argv0: "bin/d", directory: "/srv/", searchPath: nil, fallback: none) == "/srv/bin/d")
        #expect(UpgradeExecutable.resolve(argv0: "sh", directory: "/", searchPath: "relative:/nonexistent:/bin", fallback: none) == "/bin/sh")
        #expect(UpgradeExecutable.resolve(argv0: "no-such-program-here", directory: "/", searchPath: "/bin", fallback: none) == "/proc/self/exe target")
    }
}
