import Glibc

/// The driver's own environment, inherited by what it spawns.
enum Environment {
    /// `environ` as `KEY=VALUE` strings.
    static func current() -> [String] {
        var result: [String] = []
        guard var cursor = Optional(environ) else { return result }
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor = cursor.advanced(by: 1)
        }
        return result
    }
}
