import Glibc
import Testing
@testable import Cotyledon

@Suite struct SystemdLibraryTests {
    @Test("libsystemd.so.0 loads and answers: no watchdog and no sockets for a process systemd did not start")
    func loadsTheLibrary() throws {
        let systemd = try SystemdLibrary.load(for: "WATCHDOG_USEC")
        // The test runner has neither WATCHDOG_USEC nor LISTEN_FDS (the driver's daemons get them, not the runner).
        try #require(getenv("WATCHDOG_USEC") == nil && getenv("LISTEN_FDS") == nil)
        var microseconds: UInt64 = 7
        #expect(systemd.watchdogEnabled(0, &microseconds) == 0)
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        #expect(systemd.listenFdsWithNames(0, &names) == 0)
    }

    @Test("a library that cannot be loaded is an error naming the variable, dlopen's reason and the package to install")
    func missingLibraryIsAClearError() {
        #expect {
            try SystemdLibrary.load(for: "LISTEN_FDS", file: "libsystemd-missing-\(getpid()).so.0")
        } throws: { error in
            guard case .systemdLibraryUnavailable(let variable, let reason) = error as? CotyledonError else { return false }
            let message = "\(error)"
            return variable == "LISTEN_FDS" && reason.contains("libsystemd-missing-")
                && message.contains("systemd set LISTEN_FDS") && message.contains("apt-get install libsystemd0")
        }
    }
}
