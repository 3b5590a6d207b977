import Testing

extension DaemonSuite {
    /// Bad command lines for `cotyledon-demo`: usage error, nothing started.
    @Suite
    struct CommandLineTests {
        @Test("an unknown option exits 64 with usage on stderr", .timeLimit(.minutes(1)))
        func unknownOption() throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--bogus"])
            #expect(try demo.waitForExit().status == .exited(64))
            let stderr = demo.text(of: "stderr")
            #expect(stderr.contains("--bogus"), "names the bad option: \(stderr)")
            #expect(stderr.lowercased().contains("usage:"), "prints usage: \(stderr)")
            #expect(demo.events("master-started").isEmpty)
            try driver.expectCleanEnd()
        }

        @Test("an out-of-range worker count exits 64 with a message", .timeLimit(.minutes(1)),
              arguments: ["0", "-3", "100000"])
        func badWorkerCount(_ count: String) throws {
            let driver = try Driver()
            defer { driver.close() }
            let demo = try driver.spawn("cotyledon-demo", ["--workers", count])
            #expect(try demo.waitForExit().status == .exited(64))
            let stderr = demo.text(of: "stderr")
            #expect(stderr.contains("--workers"), "names the option: \(stderr)")
            #expect(stderr.contains(count), "names the bad value: \(stderr)")
            #expect(demo.events("master-started").isEmpty)
            #expect(driver.reapedPids == [demo.pid], "no worker was started")
            try driver.expectCleanEnd()
        }
    }
}
