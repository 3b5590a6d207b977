import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in daemon on a unix socket, served by a thread of the test process: it reads one
/// request line per connection and answers with fixed bytes, for checking how `cotyledonctl`
/// handles answers a real daemon never gives (garbage, a cut line, silence).
final class ScriptedControlServer: @unchecked Sendable {
    // @unchecked: `held` is guarded by `lock`; the descriptors are immutable.
    /// What to do after reading a request.
    enum Script {
        /// Send these bytes, then close.
        case reply(String)
        /// Send nothing and keep the connection open until ``stop()``.
        case silence
    }

    let path: String
    private let listener: Int32
    private let lock = NSLock()
    private var held: [Int32] = []
    private let finished = NSCondition()
    private var isFinished = false

    /// Listens at `path` and serves every connection with `script` until ``stop()``.
    init(path: String, script: Script) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            let error = errno
            close(listener)
            throw DriverError("listen \(path): \(String(cString: strerror(error)))")
        }
        let thread = Thread { [self] in serve(script) }
        thread.name = "scripted control server"
        thread.start()
    }

    /// Stops accepting, closes every connection and waits for the thread to end.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        finished.lock()
        while !isFinished { finished.wait() }
        finished.unlock()
        close(listener)
        lock.lock()
        for fd in held { close(fd) }
        held.removeAll()
        lock.unlock()
        unlink(path)
    }

    private func serve(_ script: Script) {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            // Read up to the end of the request line (bounded: requests are small).
            var request: [UInt8] = []
            var byte: UInt8 = 0
            while request.count < 65536, recv(client, &byte, 1, 0) == 1, byte != UInt8(ascii: "\n") {
                request.append(byte)
            }
            switch script {
            case .reply(let text):
                var bytes = Array(text.utf8)
                _ = send(client, &bytes, bytes.count, Int32(MSG_NOSIGNAL))
                close(client)
            case .silence:
                lock.lock()
                held.append(client)
                lock.unlock()
            }
        }
        finished.lock()
        isFinished = true
        finished.broadcast()
        finished.unlock()
    }
}
