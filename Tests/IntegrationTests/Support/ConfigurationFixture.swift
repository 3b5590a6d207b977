import Foundation

/// A configuration file in a private temporary directory, rewritten by tests between reloads.
final class ConfigurationFixture {
    let path: String
    private let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "cotyledon-config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/daemon.yaml"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Replaces the file's contents (atomically, as an editor saving it would).
    func write(_ yaml: String) throws {
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A printer service with `workers` and optional extra settings lines (indented 4).
    static func printer(workers: Int, _ extra: String...) -> String {
        "services:\n  printer:\n    workers: \(workers)\n" + extra.map { "    \($0)\n" }.joined()
    }
}
