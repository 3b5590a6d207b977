import Testing

extension DaemonSuite {
    /// API misuse, which can only be tested out of process (`swift test` is multi-threaded, so
    /// the single-thread check would fire first): each fixture exits 70 with a clear message.
    @Suite
    struct MisuseTests {
        @Test("API misuse exits 70 with a message and leaves nothing", .timeLimit(.minutes(1)), arguments: [
            ("misuse-zero-workers", "workers must be at least 1"),
            ("misuse-unknown-service", "unknown service id"),
            ("misuse-run-twice", "run() was already called"),
            ("misuse-threads", "must be single-threaded"),
            ("misuse-add-after-run", "cannot add a service after run()"),
            ("misuse-second-manager", "only one ServiceManager"),
            ("misuse-threads-top-level", "must be single-threaded"),
            ("misuse-invalid-name", "service name \"Fixture Service\" is not valid: use only a-z, 0-9, '_' and '-'"),
            ("misuse-duplicate-name", "a service named \"fixture\" was already added"),
            ("misuse-settings-type", "service \"greeter\" reads settings of type GreeterSettings, but the ServiceManager was created without settings"),
        ])
        func misuse(_ scenario: String, _ phrase: String) throws {
            let driver = try Driver()
            defer { driver.close() }
            let fixture = try driver.spawn("cotyledon-fixture", [scenario])
            let exit = try fixture.waitForExit(timeout: .seconds(15))
            #expect(exit.status == .exited(70), "\(scenario); log:\n\(fixture.tail)")
            let output = fixture.lines.map(\.text).joined(separator: "\n")
            #expect(output.contains(phrase), "\(scenario) says \"\(phrase)\"; output:\n\(output)")
            #expect(!output.contains("Fatal error"), "\(scenario) exits, it does not crash; output:\n\(output)")
            try driver.expectCleanEnd()
        }
    }
}
