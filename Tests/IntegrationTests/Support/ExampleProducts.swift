import Foundation

/// Finds the executables of the `Examples/` package, a separate package that `./dev test` builds
/// (`swift build --package-path Examples`) before `swift test`.
enum ExampleProducts {
    /// `Examples/.build/debug` of this checkout.
    static var directory: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // IntegrationTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
            .appendingPathComponent("Examples/.build/debug").path
    }

    /// The absolute path of the example executable `name`.
    /// - Throws: ``DriverError`` saying how to build it when it is not there.
    static func path(of name: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw DriverError(
                "\(name) not found in \(directory): the Examples package is built separately; "
                    + "run ./dev test, or swift build --package-path Examples before swift test")
        }
        return path
    }
}
