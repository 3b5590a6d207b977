import Glibc
import Testing

extension DaemonSuite {
    /// Typed settings: the master alone loads and validates the file; every worker gets
    /// exactly that value, by the fork or, reloading in place, from the master's snapshot.
    @Suite
    struct SettingsTests {
        /// The fixture's settings file: two greeters and the application's greeting.
        static func settingsFile(greeting: String) -> String {
            "manager:\n  services:\n    greeter:\n      workers: 2\ngreeting: \(greeting)\n"
        }

        /// The fields of a greeter's `settings greeting=… worker=… pid=…` line.
        static func greeting(_ line: OutputLine) -> (greeting: String, worker: Int, pid: Int32)? {
            guard line.stream == "stdout", line.text.hasPrefix("settings ") else { return nil }
            var fields: [Substring: Substring] = [:]
            for pair in line.text.split(separator: " ").dropFirst() {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let greeting = fields["greeting"], let worker = fields["worker"].flatMap({ Int($0) }),
                  let pid = fields["pid"].flatMap({ Int32($0) }) else { return nil }
            return (String(greeting), worker, pid)
        }

        /// Waits for worker `worker` to print `expected` after `mark`; returns its pid.
        static func waitForGreeting(_ expected: String, worker: Int, in fixture: DaemonProcess, from mark: Int = 0) throws -> Int32 {
            let line = try fixture.waitForLine("worker \(worker) prints greeting=\(expected)", from: mark) {
                greeting($0).map { $0.greeting == expected && $0.worker == worker } ?? false
            }
            return greeting(line)!.pid
        }

        @Test("settings: in-place reload swaps the value (same pid), a broken file changes nothing, a respawn gets the value in force without the file",
              .timeLimit(.minutes(1)))
        func workersGetTheMastersValidatedSettings() throws {
            let file = try ConfigurationFixture()
            try file.write(Self.settingsFile(greeting: "hello"))
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", ["settings", "--config", file.path])
            let first = [try Self.waitForGreeting("hello", worker: 0, in: fixture), try Self.waitForGreeting("hello", worker: 1, in: fixture)]
            _ = try fixture.waitForEvent("all-ready")

            try file.write(Self.settingsFile(greeting: "bonjour"))
            let reloadMark = fixture.cursor
            try driver.signal(fixture.pid, SIGHUP)
            let inPlace = [try Self.waitForGreeting("bonjour", worker: 0, in: fixture, from: reloadMark),
                           try Self.waitForGreeting("bonjour", worker: 1, in: fixture, from: reloadMark)]
            #expect(inPlace == first, "reloaded in place, same pids; log:\n\(fixture.tail)")
            _ = try fixture.waitForEvent("reload-complete", from: reloadMark)

            try file.write("manager:\n  services:\n    greeter:\n      workers: 2\ngreeting: [unclosed\n")
            let badMark = fixture.cursor
            try driver.signal(fixture.pid, SIGHUP)
            _ = try fixture.waitForEvent("reload-failed", from: badMark)
            // A worker told to reload anyway still holds the last good value.
            try driver.signal(first[0], SIGHUP)
            #expect(try Self.waitForGreeting("bonjour", worker: 0, in: fixture, from: badMark) == first[0])

            // No worker reads the file: with the file gone, a respawned worker still gets the value in force.
            #expect(unlink(file.path) == 0)
            let killMark = fixture.cursor
            try driver.signal(first[1], SIGKILL)
            let respawned = try Self.waitForGreeting("bonjour", worker: 1, in: fixture, from: killMark)
            #expect(respawned != first[1])
            let greetings = fixture.lines.filter { $0.index >= reloadMark }.compactMap(Self.greeting)
            #expect(greetings.allSatisfy { $0.greeting == "bonjour" }, "only the validated value after the reload: \(greetings)")
            #expect(fixture.events("settings-unreadable").isEmpty)
            try fixture.stopAndExpectCleanExit()
            try driver.expectCleanEnd()
        }
    }
}
