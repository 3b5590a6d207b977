import Glibc

/// Why a worker cannot serve.
enum HTTPServerError: Error, CustomStringConvertible {
    /// Binding `host:port` failed.
    case cannotListen(host: String, port: Int, underlying: any Error)
    /// The inherited listening socket cannot be switched to non-blocking mode.
    case unusableInheritedSocket(descriptor: Int32, errno: Int32)

    var description: String {
        switch self {
        case let .cannotListen(host, port, underlying):
            "cannot listen on \(host):\(port) (\(underlying)): choose another --port or --host, "
                + "or stop the program that listens there without SO_REUSEPORT"
        case let .unusableInheritedSocket(descriptor, errno):
            "the inherited socket \"http\" (descriptor \(descriptor)) cannot be made non-blocking: "
                + "\(String(cString: strerror(errno))); check that it is a listening stream socket "
                + "(ListenStream= in the .socket unit)"
        }
    }
}
