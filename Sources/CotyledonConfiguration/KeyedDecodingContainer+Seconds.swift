import Cotyledon

extension KeyedDecodingContainer {
    /// A duration written as a number of seconds (`30`, `0.5`), or `nil` when the key
    /// is absent or null.
    ///
    /// - Throws: a wrong-type error for anything but a number, and an invalid-value
    ///   error for a number no `Duration` can hold.
    func decodeSecondsIfPresent(forKey key: Key) throws -> Duration? {
        let decoded: Double?
        do {
            decoded = try decodeIfPresent(Double.self, forKey: key)
        } catch var error as ConfigurationError where error.kind == .wrongType {
            let expected = "expected a number"
            if error.problem.hasPrefix(expected) { error.problem = "expected a number of seconds" + error.problem.dropFirst(expected.count) }
            error.fix = "write a number of seconds without a unit, such as 30 or 0.5"
            throw error
        }
        guard let seconds = decoded else { return nil }
        guard let duration = Duration(configurationSeconds: seconds) else {
            throw ConfigurationError.invalidValue(
                ConfigurationFile.keyPath(codingPath + [key]),
                "\(seconds) is not a usable number of seconds",
                fix: "write a number of seconds such as 30 or 0.5")
        }
        return duration
    }
}
