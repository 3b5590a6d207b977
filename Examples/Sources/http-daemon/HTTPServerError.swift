import Glibc

/// Why a worker cannot serve.
enum HTTPServerError: Error, CustomStringConvertible {
    /// Binding `host:port` failed.
    case cannotListen(host: String, port: Int, underlying: any Error)
    /// The socket systemd passed cannot be switched to non-blocking mode.
    case unusableInheritedSocket(descriptor: Int32, errno: Int32)

    var description: String {
        switch self {
        case let .cannotListen(host, port, underlying):
            "cannot listen on \(host):\(port) (\(underlying)): choose another --port or --host, "
                + "or stop the program that listens there without SO_REUSEPORT"
        case let .unusableInheritedSocket(descriptor, errno):
            "the socket systemd passed (descriptor \(descriptor)) cannot be made non-blocking: "
                + "\(String(cString: strerror(errno))); check ListenStream= in the .socket unit"
        }
    }
}
