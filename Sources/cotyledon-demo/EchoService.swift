import Cotyledon
import Dispatch
import Glibc

/// A TCP echo service: greets each connection with the worker that accepted it, then
/// echoes lines back until the client closes.
///
/// It serves the socket systemd passes (socket activation, `FileDescriptorName=echo`,
/// or the first one passed); without one, each worker binds `127.0.0.1:port` itself with
/// `SO_REUSEPORT`, so the kernel spreads connections across workers either way.
final class EchoService: Service {
    struct BindFailure: Error, CustomStringConvertible {
        let port: Int
        let errno: Int32
        var description: String { "cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))" }
    }

    override class var name: String { "echo" }

    private let port: Int

    /// An echo service that binds `port` when no socket is inherited.
    init(workerID: Int, port: Int) {
        self.port = port
        super.init(workerID: workerID)
    }

    override func run() async throws {
        let listener = try listenerDescriptor()
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        let greeting = "echo worker(\(workerID)) pid \(getpid())\n"
        let accepts = DispatchSource.makeReadSource(fileDescriptor: listener, queue: .global())
        accepts.setEventHandler { @Sendable in
            while case let client = accept(listener, nil, nil), client >= 0 {
                DispatchQueue.global().async { EchoService.serve(client, greeting: greeting) }
            }
        }
        accepts.resume()
        defer { accepts.cancel() }
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    /// The inherited socket, or one bound by this worker.
    private func listenerDescriptor() throws -> Int32 {
        if let inherited = listeners["echo"].first ?? listeners.all.first {
            return inherited.descriptor
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let error = errno
            close(fd)
            throw BindFailure(port: port, errno: error)
        }
        return fd
    }

    /// Greets, then echoes until end of file (or 30 s of silence).
    private nonisolated static func serve(_ client: Int32, greeting: String) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes = Array(greeting.utf8)
        guard send(client, &bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = recv(client, &buffer, buffer.count, 0), count > 0 {
            guard send(client, &buffer, count, Int32(MSG_NOSIGNAL)) == count else { return }
        }
    }
}
