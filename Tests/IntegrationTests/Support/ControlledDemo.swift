/// The set-up of the control socket tests: a configuration file and a socket directory of
/// their own, a driver, and the demo started with both, listening and with every worker
/// ready. The test closes ``driver`` when it ends (`defer { controlled.driver.close() }`).
struct ControlledDemo {
    let config: ConfigurationFixture
    let socket: ControlSocketFixture
    let driver: Driver
    let demo: DaemonProcess

    /// Writes `configuration` and starts `cotyledon-demo --config <file> --control-socket
    /// <socket>` with `extra` arguments.
    init(_ configuration: String, _ extra: [String] = []) throws {
        config = try ConfigurationFixture()
        try config.write(configuration)
        socket = try ControlSocketFixture()
        driver = try Driver()
        do {
            demo = try DaemonSuite.ControlSocketTests.startDemo(driver, config: config, socket: socket, extra)
        } catch {
            driver.close()
            throw error
        }
    }
}
