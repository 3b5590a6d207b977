/// A listening socket the master opens before it forks, shared by the workers of the
/// services that use it: one socket, one accept queue, whichever worker accepts first.
///
/// ```yaml
/// listeners:
///   http:
///     address: 127.0.0.1:8080    # host:port, [ipv6]:port or unix:/absolute/path
///     backlog: 1024
///     mode: "0660"               # unix only, octal
/// ```
///
/// Workers find it as `listeners["http"]` (``Service/listeners``), at the same descriptor
/// number as in the master, exactly as a socket systemd passed with that name; a socket
/// systemd passes with the same name is used instead of opening this one.
public struct ListenerConfiguration: Equatable, Sendable {
    /// Where a listener listens.
    public enum Address: Equatable, Sendable, CustomStringConvertible {
        /// A TCP address: `host` an IPv4 or IPv6 literal (`127.0.0.1`, `::`, `::1`), `port`
        /// in `0...65535` (0: the kernel picks one, logged in `listener-opened`).
        case tcp(host: String, port: Int)
        /// A unix stream socket at an absolute `path` of at most 107 bytes.
        case unix(path: String)

        /// `127.0.0.1:8080`, `[::1]:8080` or `unix:/run/x.sock`: the text ``ListenerConfiguration/init(parsing:backlog:mode:)`` reads.
        public var description: String {
            switch self {
            case .tcp(let host, let port):
                host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path):
                "unix:\(path)"
            }
        }

        /// Whether the host is an IPv6 literal.
        var isIPv6: Bool {
            if case .tcp(let host, _) = self { return host.contains(":") }
            return false
        }
    }

    /// Where it listens.
    public var address: Address
    /// The length of the queue of connections not accepted yet (`listen(2)`), `1...65535`;
    /// the kernel caps it at `net.core.somaxconn`. Default ``defaultBacklog``.
    public var backlog: Int
    /// For a unix socket, the permissions of its file (default `0o660`); `nil` for TCP.
    public var mode: UInt32?

    /// The default ``backlog``: 1024.
    public static let defaultBacklog = 1024
    /// The permissions of a unix socket's file when ``mode`` is `nil`: `0o660`.
    public static let defaultUnixMode: UInt32 = 0o660
    /// The longest unix socket path, in bytes (`sun_path` holds 108 with its terminator).
    public static let maximumUnixPathLength = 107

    /// Creates a listener.
    ///
    /// - Parameters:
    ///   - address: where it listens.
    ///   - backlog: the queue of connections not accepted yet, `1...65535`.
    ///   - mode: the permissions of a unix socket's file; `nil`: `0o660`. Not for TCP.
    public init(address: Address, backlog: Int = ListenerConfiguration.defaultBacklog, mode: UInt32? = nil) {
        self.address = address
        self.backlog = backlog
        self.mode = mode
    }

    /// Creates a listener from its address as a configuration file writes it:
    /// `127.0.0.1:8080`, `[::]:8080` or `unix:/run/daemon/http.sock`.
    ///
    /// - Parameters:
    ///   - text: the address.
    ///   - backlog: the queue of connections not accepted yet, `1...65535`.
    ///   - mode: the permissions of a unix socket's file; `nil`: `0o660`. Not for TCP.
    /// - Throws: ``InvalidAddress`` saying what is wrong and how to write it.
    public init(parsing text: String, backlog: Int = ListenerConfiguration.defaultBacklog, mode: UInt32? = nil) throws(InvalidAddress) {
        self.init(address: try Address.parse(text), backlog: backlog, mode: mode)
    }

    /// The mode a unix socket's file gets.
    var effectiveMode: UInt32 {
        mode ?? Self.defaultUnixMode
    }

    /// The settings' keys as a configuration file writes them.
    package enum CodingKeys: String, CodingKey, CaseIterable {
        case address
        case backlog
        case mode
    }

    /// Checks the address (a literal host, a port in `0...65535`, an absolute unix path of
    /// at most 107 bytes), the backlog (`1...65535`) and that a mode is given only for a
    /// unix socket, at most `0o777`.
    ///
    /// - Throws: the first rule broken, with the key relative to this mapping (`backlog`).
    package func checkRules() throws(ConfigurationRuleViolation) {
        do {
            _ = try Address.parse(address.description)
        } catch {
            throw .invalidValue([CodingKeys.address.rawValue], error.problem, fix: error.fix)
        }
        guard (1...65535).contains(backlog) else {
            throw .invalidValue([CodingKeys.backlog.rawValue], "must be between 1 and 65535, got \(backlog)",
                                fix: "set a queue length in that range, e.g. \(Self.defaultBacklog)")
        }
        if let mode {
            guard case .unix = address else {
                throw .invalidValue([CodingKeys.mode.rawValue], "applies only to a unix socket, but the address is \(address)",
                                    fix: "remove mode, or listen on unix:/path")
            }
            guard mode <= 0o777 else {
                throw .invalidValue([CodingKeys.mode.rawValue], "must be at most 0777, got 0\(String(mode, radix: 8))",
                                    fix: "set permission bits only, e.g. \"0660\"")
            }
        }
    }

    /// Whether `name` may name a listener: the rule of service names (non-empty, only
    /// `a-z`, `0-9`, `_` and `-`).
    public static func isValidName(_ name: String) -> Bool {
        ServiceName.isValid(name)
    }
}

extension ListenerConfiguration {
    /// An address that cannot be read: what is wrong and how to write it.
    public struct InvalidAddress: Error, Equatable, Sendable, CustomStringConvertible {
        /// What is wrong, e.g. `port 70000 is not in 0...65535`.
        public var problem: String
        /// What to do, e.g. `write host:port, [ipv6]:port or unix:/absolute/path`.
        public var fix: String

        /// `problem — fix`.
        public var description: String {
            "\(problem) — \(fix)"
        }
    }
}

extension ListenerConfiguration.Address {
    /// The forms an address may take, for messages.
    static let forms = "write host:port (127.0.0.1:8080), [ipv6]:port ([::]:8080) or unix:/absolute/path"

    /// Reads `127.0.0.1:8080`, `[::1]:8080` or `unix:/path`, checking the host is an IP
    /// literal, the port in `0...65535` and the path absolute and at most 107 bytes.
    static func parse(_ text: String) throws(ListenerConfiguration.InvalidAddress) -> Self {
        let quoted = "'\(text.count > 60 ? String(text.prefix(60)) + "…" : text)'"
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/"), path.utf8.count <= ListenerConfiguration.maximumUnixPathLength,
                  !path.utf8.contains(0), !path.hasSuffix("/") else {
                throw .init(problem: "\(quoted) is not an absolute socket path of at most \(ListenerConfiguration.maximumUnixPathLength) bytes",
                            fix: "write unix: and an absolute path, e.g. unix:/run/daemon/http.sock")
            }
            return .unix(path: path)
        }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .init(problem: "\(quoted) has no ]:port after the IPv6 address", fix: forms)
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":"), Syscall.isIPv6Literal(String(host)) else {
                throw .init(problem: "\(quoted): '\(host)' is not an IPv6 address", fix: "write an IPv6 literal in brackets, e.g. [::1]:8080")
            }
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw .init(problem: "\(quoted) is not an address", fix: forms)
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard Syscall.isIPv4Literal(String(host)) else {
                throw .init(problem: "\(quoted): '\(host)' is not an IPv4 address (host names are not resolved)",
                            fix: "write an IP address, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
            }
        }
        guard !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber), port.count <= 5,
              let number = Int(port), (0...65535).contains(number) else {
            throw .init(problem: "\(quoted): port '\(port)' is not a number in 0...65535", fix: "write a port in that range (0: the kernel picks one)")
        }
        return .tcp(host: String(host), port: number)
    }
}
