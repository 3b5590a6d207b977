/// What a reload does to one service, from comparing its old and new
/// ``ServiceConfiguration``.
public enum ServiceConfigurationChange: Equatable, Sendable {
    /// Every setting is the same.
    case unchanged
    /// Only ``ServiceConfiguration/workers`` differs: add or stop workers, touch no other.
    case resized(from: Int, to: Int)
    /// Some other setting differs (whatever `workers` does): the workers must be replaced.
    case changed
    /// The service is in the new configuration only.
    case added
    /// The service is in the old configuration only.
    case removed
}
