import Glibc

/// A pidfd on a live descendant, for sending signals from the test process itself in tight
/// bursts (a ``Driver/signal(_:_:)`` is a round trip through the driver, about 1 ms). Through
/// the pidfd a recycled pid is never signalled.
///
/// `pidfd_open` and `pidfd_send_signal` are not in Swift's `Glibc` module; they are looked up
/// in the loaded libc, as the driver does.
final class ProcessHandle {
    let pid: Int32
    private let descriptor: Int32
    private let send: SendFunction

    private typealias OpenFunction = @convention(c) (pid_t, UInt32) -> Int32
    private typealias SendFunction = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32

    private static func symbol<F>(_ name: String, as type: F.Type) throws -> F {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else {
            throw DriverError("libc has no \(name)")
        }
        return unsafeBitCast(address, to: type)
    }

    /// Opens a pidfd on `pid`, which must be alive (and known to be the right process).
    init(pid: Int32) throws {
        self.pid = pid
        send = try Self.symbol("pidfd_send_signal", as: SendFunction.self)
        descriptor = try Self.symbol("pidfd_open", as: OpenFunction.self)(pid, 0)
        guard descriptor >= 0 else { throw DriverError("pidfd_open \(pid): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(descriptor)
    }

    /// Sends `signal`.
    func signal(_ signal: Int32) throws {
        guard send(descriptor, signal, nil, 0) == 0 else {
            throw DriverError("pidfd_send_signal \(pid) \(signal): \(String(cString: strerror(errno)))")
        }
    }
}
