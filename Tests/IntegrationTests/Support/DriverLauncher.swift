import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts `cotyledon-test-driver` with `posix_spawn` (not `Foundation.Process`, which would
/// share a socket with the driver's descendants and wait for all of them).
enum DriverLauncher {
    /// The driver's pid and the test process's ends of its stdin and stdout.
    struct Launched {
        let pid: pid_t
        /// The test's end of a socket pair that is the driver's stdin; written with
        /// `MSG_NOSIGNAL`, so a dead driver is an error rather than a SIGPIPE for the test process.
        let commands: Int32
        /// Read end of the driver's stdout.
        let events: Int32
    }

    private typealias Pipe2Function = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// `pipe2(O_CLOEXEC)`, looked up at run time (`Glibc` does not import it): other threads of
    /// the test process may fork at any moment and must not inherit these ends.
    private static func makePipe() throws -> (read: Int32, write: Int32) {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "pipe2") else {
            throw DriverError("libc has no pipe2")
        }
        let pipe2 = unsafeBitCast(address, to: Pipe2Function.self)
        var ends: [Int32] = [-1, -1]
        guard pipe2(&ends, O_CLOEXEC) == 0 else {
            throw DriverError("pipe2: \(String(cString: strerror(errno)))")
        }
        return (ends[0], ends[1])
    }

    /// Spawns the driver. Call it from the thread that will outlive the driver: the driver's
    /// `PR_SET_PDEATHSIG` fires when the *thread* that created it exits.
    static func launch(path: String) throws -> Launched {
        var sockets: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &sockets) == 0 else {
            throw DriverError("socketpair: \(String(cString: strerror(errno)))")
        }
        let commandChannel = (read: sockets[0], write: sockets[1])
        let eventPipe: (read: Int32, write: Int32)
        do {
            eventPipe = try makePipe()
        } catch {
            close(commandChannel.read)
            close(commandChannel.write)
            throw error
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, commandChannel.read, 0)
        posix_spawn_file_actions_adddup2(&actions, eventPipe.write, 1)

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("cotyledon-test-driver"), nil]
        defer { argv.forEach { free($0) } }
        let result = CleanSpawnAttributes.with { posix_spawn(&pid, path, &actions, &$0, argv, environ) }
        close(commandChannel.read)
        close(eventPipe.write)
        guard result == 0 else {
            close(commandChannel.write)
            close(eventPipe.read)
            throw DriverError("posix_spawn \(path): \(String(cString: strerror(result)))")
        }
        return Launched(pid: pid, commands: commandChannel.write, events: eventPipe.read)
    }
}
