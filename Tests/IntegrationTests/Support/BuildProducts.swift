import Foundation

/// Finds the package's executables in the build folder the test bundle itself runs from.
enum BuildProducts {
    /// The folder holding the running test binary, e.g. `.build/x86_64-unknown-linux-gnu/debug`.
    static var directory: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }

    /// The absolute path of the executable product `name`.
    /// - Throws: ``DriverError`` if it is not there (the package was not fully built).
    static func path(of name: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw DriverError("\(name) not found in \(directory); build it first (swift build --build-tests)")
        }
        return path
    }
}
