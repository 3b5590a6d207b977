/// The address a socket is bound to, as `getsockname` tells it.
enum BoundSocketAddress: Equatable, CustomStringConvertible {
    /// An IPv4 or IPv6 address (its canonical text, `::1` rather than `0:0::1`) and port.
    case tcp(host: String, port: Int)
    /// A unix socket's path, as it was when the socket was bound.
    case unix(path: String)
    /// Anything else (another family, an abstract unix address), described.
    case other(String)

    /// `127.0.0.1:8080`, `[::1]:8080`, `unix:/run/app.sock`, as addresses are configured.
    var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        case .other(let text): text
        }
    }
}
