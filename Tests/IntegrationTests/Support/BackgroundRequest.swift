import Foundation

/// A ``LoopbackHTTPClient`` request made on a thread of its own, for a test that acts on a
/// daemon while the request is in flight.
final class BackgroundRequest: @unchecked Sendable {
    // @unchecked: `outcome` is written once by the request's thread before `done` is signalled,
    // and read only after waiting for `done`.
    private var outcome: Result<LoopbackHTTPClient.Response, any Error>?
    private let done = DispatchSemaphore(value: 0)

    /// Starts `GET path` on `127.0.0.1:port`.
    init(port: Int, path: String, timeout: Duration) {
        let thread = Thread { [self] in
            outcome = Result { try LoopbackHTTPClient.get(port: port, path: path, timeout: timeout) }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the answer.
    /// - Throws: the request's error, or ``DriverError`` if it has not ended within `timeout`.
    func response(timeout: Duration) throws -> LoopbackHTTPClient.Response {
        guard done.wait(timeout: .now() + timeout.seconds) == .success, let outcome else {
            throw DriverError("the background request did not end within \(timeout)")
        }
        done.signal()  // later calls return at once
        return try outcome.get()
    }
}
