/// A configuration model with rules beyond its types: ranges, relations between keys.
///
/// ``ConfigurationFile`` calls ``validate()`` after decoding and gives the error the file's
/// name and the line and column of its key path, so the rule's message points at the
/// right line:
///
/// ```swift
/// extension DaemonConfiguration: ValidatableConfiguration {
///     func validate() throws(ConfigurationError) {
///         guard (1...65535).contains(port) else {
///             throw .invalidValue(["port"], "must be between 1 and 65535, got \(port)", fix: "set a port in that range")
///         }
///     }
/// }
/// ```
public protocol ValidatableConfiguration {
    /// Checks the rules; throws the first broken one.
    ///
    /// - Throws: ``ConfigurationError`` whose ``ConfigurationError/keyPath`` names the
    ///   offending key as written in the file, relative to this model (a model nested in
    ///   another is validated by its parent, which adds the prefix with
    ///   ``ConfigurationError/nested(under:)``).
    func validate() throws(ConfigurationError)
}
