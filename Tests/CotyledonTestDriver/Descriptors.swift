import Glibc

/// File-descriptor hygiene: every descriptor the driver opens is close-on-exec, and the ones
/// it inherited beyond stdio are closed at start, so spawned daemons begin with exactly 0, 1, 2.
enum Descriptors {
    /// `pipe` with both ends `O_CLOEXEC` and the read end `O_NONBLOCK` (no `pipe2` in `Glibc`;
    /// the driver is single-threaded, so nothing can fork between the two calls).
    static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        setNonBlocking(ends[0])
        return true
    }

    /// Adds `O_NONBLOCK` to `fd`.
    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Closes every descriptor above 2 that the driver inherited.
    static func closeInherited() {
        guard let directory = opendir("/proc/self/fd") else { return }
        let own = dirfd(directory)
        var inherited: [Int32] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd > 2, fd != own { inherited.append(fd) }
        }
        closedir(directory)
        inherited.forEach { close($0) }
    }
}
