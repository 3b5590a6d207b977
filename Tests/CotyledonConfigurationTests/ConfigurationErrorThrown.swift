@testable import Cotyledon
@testable import CotyledonConfiguration

/// The ``ConfigurationError`` that `body` throws, or `nil` when it returns: for tests that
/// look into a rejection with `try #require(…)`.
func configurationErrorThrown<Value>(by body: () throws(ConfigurationError) -> Value) -> ConfigurationError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
