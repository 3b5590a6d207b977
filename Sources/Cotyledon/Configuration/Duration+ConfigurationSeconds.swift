extension Duration {
    /// The longest timeout a configuration file may set: one day.
    static let maximumConfiguredTimeout: Duration = .seconds(86_400)

    /// A duration written in a configuration file as a number of seconds, rounded to
    /// the nanosecond; `nil` for a number no duration can hold (not finite, or more than
    /// about 31 years either way).
    package init?(configurationSeconds seconds: Double) {
        guard seconds.isFinite, abs(seconds) <= 1e9 else { return nil }
        self = .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// How the duration is written in a configuration file and its messages: `30`, `0.5`.
    var configurationSeconds: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds)" }
        return "\(secondsValue)"
    }
}
