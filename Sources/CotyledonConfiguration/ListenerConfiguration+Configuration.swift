import Cotyledon

/// ``ListenerConfiguration`` in a configuration file: a mapping under `listeners.<name>` in
/// ``ManagerConfiguration``.
///
/// ```yaml
/// address: 127.0.0.1:8080    # required: host:port, [ipv6]:port or unix:/absolute/path
/// backlog: 1024              # 1...65535
/// mode: "0660"               # unix only: the socket file's permissions, in octal
/// ```
extension ListenerConfiguration: Codable, ValidatableConfiguration {
    /// Decodes a listener; `address` is required.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .address)
        do {
            try self.init(parsing: text)
        } catch {
            throw ConfigurationError.invalidValue(ConfigurationFile.keyPath(container.codingPath + [CodingKeys.address]),
                                                  error.problem, fix: error.fix)
        }
        if let value = try container.decodeIfPresent(Int.self, forKey: .backlog) { backlog = value }
        if container.contains(.mode) {
            let written: String
            do {
                written = try container.decode(String.self, forKey: .mode)
            } catch {
                throw ConfigurationError.invalidValue(
                    ConfigurationFile.keyPath(container.codingPath + [CodingKeys.mode]),
                    "must be an octal string such as \"0660\"", fix: "quote the mode: mode: \"0660\"")
            }
            guard !written.isEmpty, written.count <= 4, let value = UInt32(written, radix: 8) else {
                throw ConfigurationError.invalidValue(
                    ConfigurationFile.keyPath(container.codingPath + [CodingKeys.mode]),
                    "'\(ConfigurationError.excerpt(written))' is not an octal mode", fix: "write permission bits in octal, e.g. \"0660\"")
            }
            mode = value
        }
    }

    /// Encodes the address as text, the mode (when set) as an octal string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(address.description, forKey: .address)
        try container.encode(backlog, forKey: .backlog)
        if let mode { try container.encode("0" + String(mode, radix: 8), forKey: .mode) }
    }

    /// Checks the address, the backlog (`1...65535`) and that a mode (at most `0777`) is
    /// given only for a unix socket.
    ///
    /// - Throws: ``ConfigurationError`` with the key path relative to this mapping (`backlog`).
    public func validate() throws(ConfigurationError) {
        do {
            try checkRules()
        } catch {
            throw ConfigurationError(error)
        }
    }
}
