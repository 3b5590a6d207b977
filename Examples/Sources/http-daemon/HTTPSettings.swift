import Cotyledon
import CotyledonConfiguration
import Foundation

/// The daemon's settings: the greeting of the `--settings` file and the supervisor's part
/// from the command line. Only the master loads them, at start and on every reload; the
/// workers read them as ``HTTPService``'s `settings`.
struct HTTPSettings: DaemonSettings {
    /// What the `--settings` file holds.
    private struct File: Decodable {
        var greeting: String
    }

    /// The first words of every answer.
    var greeting: String
    /// The supervisor's settings (graceful timeout), from the command line.
    var manager: ManagerConfiguration

    /// Reads the greeting from `path` (JSON), or uses "Hello" when `path` is `nil`.
    /// - Throws: ``HTTPSettingsError`` saying what is wrong with the file.
    static func load(from path: String?, manager: ManagerConfiguration) throws(HTTPSettingsError) -> HTTPSettings {
        guard let path else { return HTTPSettings(greeting: "Hello", manager: manager) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw HTTPSettingsError(path: path, problem: "cannot read it (\(error.localizedDescription))")
        }
        do {
            return HTTPSettings(greeting: try JSONDecoder().decode(File.self, from: data).greeting, manager: manager)
        } catch {
            throw HTTPSettingsError(path: path, problem: "not a JSON object with a string \"greeting\" (\(error))")
        }
    }
}
