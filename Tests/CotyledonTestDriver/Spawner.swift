import Glibc

/// Starts processes with `posix_spawn`: stdin from `/dev/null` (or a pipe), stdout and stderr into fresh
/// pipes, default signal dispositions, an empty signal mask and a process group of their own
/// (as a shell would give a job).
enum Spawner {
    /// A started process and the read ends of its output pipes.
    struct Spawned {
        let pid: pid_t
        let stdout: OutputPipe
        let stderr: OutputPipe
        /// The write end of the stdin pipe, for `"stdin": "pipe"`; -1 otherwise.
        let stdinWriter: Int32
    }

    /// Spawns `request`, giving it `passed` (the descriptors the test process sent) as 3, 4, ….
    /// The caller still owns `passed`.
    /// - Returns: the process, or the `errno`-style error code of the failure.
    static func spawn(_ request: SpawnRequest, passing passed: [Int32] = []) -> Result<Spawned, SpawnError> {
        // Copies above every target number, so that no dup2 below overwrites a source
        // another one still needs.
        var sources: [Int32] = []
        defer { sources.forEach { close($0) } }
        for fd in passed {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, Int32(3 + CommandReader.maximumDescriptors))
            guard copy >= 0 else { return .failure(SpawnError(call: "fcntl(F_DUPFD_CLOEXEC)", code: errno)) }
            sources.append(copy)
        }

        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard Descriptors.makePipe(&stdoutPipe) else { return .failure(SpawnError(call: "pipe", code: errno)) }
        guard Descriptors.makePipe(&stderrPipe) else {
            let code = errno
            stdoutPipe.forEach { close($0) }
            return .failure(SpawnError(call: "pipe", code: code))
        }

        var stdinPipe: [Int32] = [-1, -1]
        if request.stdinPipe {
            guard Descriptors.makePipe(&stdinPipe) else {
                let code = errno
                (stdoutPipe + stderrPipe).forEach { close($0) }
                return .failure(SpawnError(call: "pipe", code: code))
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if request.stdinPipe {
            posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for (index, source) in sources.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, Int32(3 + index))
        }
        // Every other descriptor of the driver is O_CLOEXEC (see `Descriptors`).

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in Int32(1)...31 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        )

        var environment = Environment.current()
        for entry in request.environment {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            environment.removeAll { $0.hasPrefix(key + "=") }
            environment.append(entry)
        }

        var pid: pid_t = 0
        let result = CStringArray.with(request.argv) { argv in
            CStringArray.with(environment) { envp in
                posix_spawn(&pid, request.path, &actions, &attributes, argv, envp)
            }
        }
        close(stdoutPipe[1])
        close(stderrPipe[1])
        if request.stdinPipe { close(stdinPipe[0]) }
        guard result == 0 else {
            close(stdoutPipe[0])
            close(stderrPipe[0])
            if request.stdinPipe { close(stdinPipe[1]) }
            return .failure(SpawnError(call: "posix_spawn", code: result))
        }
        return .success(Spawned(
            pid: pid,
            stdout: OutputPipe(pid: pid, stream: "stdout", fd: stdoutPipe[0]),
            stderr: OutputPipe(pid: pid, stream: "stderr", fd: stderrPipe[0]),
            stdinWriter: stdinPipe[1]
        ))
    }
}
