import Cotyledon

extension KeyedEncodingContainer {
    /// Writes a duration as a number of seconds, the way configuration files hold it.
    mutating func encodeSeconds(_ duration: Duration, forKey key: Key) throws {
        try encode(duration.secondsValue, forKey: key)
    }
}
