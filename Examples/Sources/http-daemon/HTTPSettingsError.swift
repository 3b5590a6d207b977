/// A settings file that cannot be used.
struct HTTPSettingsError: Error, CustomStringConvertible {
    /// The file.
    let path: String
    /// What is wrong with it.
    let problem: String

    var description: String {
        "settings file \(path): \(problem); write it as {\"greeting\": \"Hello\"}, or start without --settings"
    }
}
