import Glibc

/// Starts commands from a fixture worker with `posix_spawn`.
///
/// Dispatch's pool threads block every signal and a child inherits its spawning thread's
/// mask, so the mask is reset explicitly (as Foundation's `Process` and swift-subprocess
/// do), or children spawned from those threads could not be stopped with SIGTERM.
enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `argv` and returns its pid; with `captureOutput`, waits for it to exit and
    /// returns the number it printed instead.
    static func run(_ argv: [String], captureOutput: Bool = false) throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        if captureOutput { guard pipe(&fds) == 0 else { throw Failure(description: "pipe failed") } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if captureOutput {
            posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        guard result == 0 else { throw Failure(description: "posix_spawn \(argv[0]) failed: \(result)") }
        guard captureOutput else { return pid }
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64)
        while case let count = read(fds[0], &chunk, chunk.count), count > 0 { bytes += chunk[0..<count] }
        close(fds[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard let printed = Int32(text) else { throw Failure(description: "\(argv) printed \(text)") }
        return printed
    }
}
