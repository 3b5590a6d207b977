import Glibc

/// A failed system call while spawning.
struct SpawnError: Error {
    let call: String
    let code: Int32

    var description: String { "\(call): \(String(cString: strerror(code)))" }
}
