import Glibc

/// NULL-terminated arrays of C strings for `posix_spawn`'s `argv` and `envp`.
enum CStringArray {
    /// Calls `body` with a NULL-terminated copy of `strings` that lives for the call.
    static func with<R>(
        _ strings: [String],
        _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
