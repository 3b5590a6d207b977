import CCotyledonLinux
import Glibc
import SystemPackage

/// Starting another program, `execve` and close-on-exec: what an in-place upgrade needs.
extension Syscall {
    /// `posix_spawn`s `path` with `arguments` and `environment` in a process group of its
    /// own, standard input on `/dev/null`, standard output and error on `output`, every
    /// signal unblocked and at its default disposition.
    ///
    /// - Throws: the error `execve` met in the child (`ENOENT`, `EACCES`, `ENOEXEC`…) or a
    ///   failure to create it.
    static func spawn(_ path: String, arguments: [String], environment: [String], output: FileDescriptor) throws(Errno) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output.rawValue, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, output.rawValue, STDERR_FILENO)
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, path, &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else { throw Errno(rawValue: result) }
        return pid
    }

    /// `execve(path, arguments, environment)`: returns only when it failed.
    static func execute(_ path: String, arguments: [String], environment: [String]) -> Errno {
        withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                _ = execve(path, argv, envp)
            }
        }
        return Errno(rawValue: errno)
    }

    /// Sets (`true`) or clears `FD_CLOEXEC` on `fd`.
    static func setCloseOnExec(_ fd: Int32, _ on: Bool) throws(Errno) {
        try retrying { ccotyledon_set_close_on_exec(fd, on ? 1 : 0) }
    }

    /// Runs `body` with a NULL-terminated C array of `strings`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
