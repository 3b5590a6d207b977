import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.ControlSocketTests {
    /// `cotyledonctl --program`: the socket of a daemon of any name, found without `--socket`.
    @Suite
    struct ProgramOption {
        @Test("a daemon named kvd-<pid> at its default socket: cotyledonctl --program kvd-<pid> reaches it, over COTYLEDON_CONTROL_SOCKET; without it, not; with --socket too, exit 64",
              .timeLimit(.minutes(1)))
        func programFindsTheDaemonsDefaultSocket() throws {
            let program = "kvd-\(getpid())"
            let runtime = try ControlSocketFixture()   // the user's XDG_RUNTIME_DIR
            // Outside systemd: root's default is under /run, a user's under XDG_RUNTIME_DIR.
            let expected = getuid() == 0 ? "/run/\(program)/control.sock" : "\(runtime.directory)/\(program)/control.sock"
            defer { if getuid() == 0 { try? FileManager.default.removeItem(atPath: "/run/\(program)") } }
            let environment = ["RUNTIME_DIRECTORY=", "XDG_RUNTIME_DIR=\(runtime.directory)"]
            let driver = try Driver()
            defer { driver.close() }

            // The demo's executable under another name, as a user's daemon: its default socket.
            let daemon = try driver.spawn(path: try BuildProducts.path(of: "cotyledon-demo"),
                                          argv: [program, "--workers", "1"], environment: environment)
            let listening = try daemon.waitForEvent("control-listening")
            #expect(listening.fields["path"] == expected, "\(listening)")
            _ = try daemon.waitForEvent("all-ready")

            let found = try driver.control(socket: nil, ["--program", program, "status"],
                                           environment: environment + ["COTYLEDON_CONTROL_SOCKET=/nonexistent/control.sock"])
            #expect(found.status == .exited(0) && found.stdout.hasPrefix("master \(daemon.pid) "), "\(found)")
            let fallback = try driver.control(socket: nil, ["status"], environment: environment)
            #expect(fallback.status != .exited(0) || !fallback.stdout.hasPrefix("master \(daemon.pid) "),
                    "without --program it looks for cotyledon-demo's socket: \(fallback)")
            let both = try driver.control(socket: expected, ["--program", program, "status"], environment: environment)
            #expect(both.status == .exited(64) && both.stderr.contains("not both"), "\(both)")

            try daemon.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
