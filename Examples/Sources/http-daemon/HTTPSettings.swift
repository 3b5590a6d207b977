import Foundation

/// What a worker reads from `--settings` at start and on every reload.
struct HTTPSettings: Codable, Sendable, Equatable {
    /// The first words of every answer.
    var greeting: String

    /// The settings without a file.
    static let defaults = HTTPSettings(greeting: "Hello")

    /// Reads `path` (JSON), or returns ``defaults`` when `path` is `nil`.
    /// - Throws: ``HTTPSettingsError`` saying what is wrong with the file.
    static func load(from path: String?) throws(HTTPSettingsError) -> HTTPSettings {
        guard let path else { return .defaults }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw HTTPSettingsError(path: path, problem: "cannot read it (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(HTTPSettings.self, from: data)
        } catch {
            throw HTTPSettingsError(path: path, problem: "not a JSON object with a string \"greeting\" (\(error))")
        }
    }
}
