import CCotyledonLinux
import Glibc

/// Rewrites what `ps` shows for this process (the argv area read through
/// `/proc/PID/cmdline`) and its `comm` name (`ps -o comm`, `top`, `pgrep`).
///
/// The argv strings and, right after them, the environment strings form one
/// contiguous area. ``prepare()`` copies the environment to the heap (so `getenv`
/// keeps working) and claims the whole area for titles, the technique of BSD's
/// `setproctitle`: a long title extends past the original argv and the kernel, seeing
/// the last argv byte is no longer NUL, reads on to the title's end.
///
/// - Important: read `CommandLine.arguments` before ``prepare()``; the title
///   overwrites the strings `CommandLine.unsafeArgv` points to.
enum ProcessTitle {
    nonisolated(unsafe) private static var area: UnsafeMutableRawBufferPointer?

    /// Claims the argv and environment area. Safe to call more than once.
    static func prepare() {
        guard area == nil else { return }
        let argc = Int(CommandLine.argc)
        guard argc > 0, let first = CommandLine.unsafeArgv[0] else { return }
        let start = UnsafeMutableRawPointer(first)
        var end = start
        for index in 0..<argc {
            guard let argument = CommandLine.unsafeArgv[index] else { break }
            let raw = UnsafeMutableRawPointer(argument)
            guard raw == end || index == 0 else { break }
            end = raw + strlen(argument) + 1
        }
        if let environment = ccotyledon_environ_get() {
            var count = 0
            while environment[count] != nil { count += 1 }
            let copy = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: count + 1)
            for index in 0..<count {
                let variable = environment[index]!
                if UnsafeMutableRawPointer(variable) == end {
                    end = UnsafeMutableRawPointer(variable) + strlen(variable) + 1
                }
                copy[index] = strdup(variable)
            }
            copy[count] = nil
            ccotyledon_environ_set(copy)
        }
        area = UnsafeMutableRawBufferPointer(start: start, count: end - start)
    }

    /// Sets the full title shown by `ps -o args`, truncated to the available room.
    static func set(_ title: String) {
        prepare()
        guard let area, area.count > 1 else { return }
        var bytes = Array(title.utf8.prefix(area.count - 1))
        bytes.append(0)
        area.copyBytes(from: bytes)
        if bytes.count < area.count {
            memset(area.baseAddress! + bytes.count, 0, area.count - bytes.count)
        }
    }

    /// Sets `comm` (at most 15 bytes; longer names are cut).
    static func setShortName(_ name: String) {
        _ = ccotyledon_set_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }
}
