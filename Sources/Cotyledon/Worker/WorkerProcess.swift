import CCotyledonLinux
import Glibc
import SystemPackage

/// The first code a worker runs after `fork`: it cuts the ties to the master's state,
/// then hands over to async Swift, whose jobs its ``WorkerEventLoop`` runs on the main thread. Signals the master blocked stay
/// blocked until the worker's own handling is installed, so none is lost or handled
/// by master code in between.
enum WorkerProcess {
    /// Where a worker keeps its two pipe ends: right after the highest listener it keeps
    /// (systemd's are numbered from 3, the master's own follow; a passed descriptor that
    /// was not a socket, or a listener of another service, leaves a gap).
    static func descriptors(listeners: Listeners) -> (messages: Int32, masterAlive: Int32) {
        let first = (listeners.all.map(\.descriptor).max() ?? 2) + 1
        return (first, first + 1)
    }

    /// Environment variables meant for the master alone: libsystemd reads them on every
    /// call, so a worker that kept them could notify or accept for the master.
    static let masterOnlyEnvironment = ["NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]

    /// Runs the worker; never returns.
    static func run(_ launch: WorkerLaunch) -> Never {
        Syscall.setProcessGroup(of: 0, to: 0)
        MasterLogGuard.setInMaster(false)
        // The master may have died between fork and prctl: re-check after arming.
        _ = ccotyledon_set_parent_death_signal(SIGTERM)
        guard getppid() == launch.masterPID else { _exit(0) }
        do {
            try keepOnlyWorkerDescriptors(launch)
        } catch {
            launch.logger.critical("worker cannot set up its descriptors: \(error)", metadata: ["event": .event(.workerSetupFailed)])
            _exit(MasterExitCode.software.rawValue)
        }
        for name in masterOnlyEnvironment { unsetenv(name) }
        let name = launch.service.name
        ProcessTitle.set("\(ProgramName.current): \(name) worker(\(launch.workerID))")
        ProcessTitle.setShortName("\(name)/\(launch.workerID)")
        launch.descriptorLimit.restore()
        let loop: WorkerEventLoop
        do {
            loop = try WorkerEventLoop()
        } catch {
            launch.logger.critical("worker cannot create its event loop: \(error)", metadata: ["event": .event(.workerSetupFailed)])
            _exit(MasterExitCode.software.rawValue)
        }
        // Before any task exists: from here on, the main actor and (by default) every task
        // run on this thread, in `loop`.
        WorkerExecutorFactory.install(on: loop, concurrency: launch.service.concurrency)
        // After fork the process has this one (main) thread and the master's state is
        // never touched again, so handing `launch` to the main actor cannot race.
        nonisolated(unsafe) let launch = launch
        MainActor.assumeIsolated {
            WorkerRuntime(launch: launch, loop: loop).start()
        }
        loop.run()
    }

    /// Keeps its service's listeners, moves the worker's two pipe ends right after them,
    /// closes every other descriptor the master had (other services' listeners, other
    /// workers' pipes, the signalfd, pidfds, whatever took the place of a refused listener)
    /// and reads stdin from /dev/null.
    private static func keepOnlyWorkerDescriptors(_ launch: WorkerLaunch) throws(Errno) {
        let targets = descriptors(listeners: launch.listeners)
        let firstFree = targets.masterAlive + 1
        let messages = try Syscall.duplicate(launch.messagesWriteEnd.rawValue, atLeast: firstFree)
        let alive = try Syscall.duplicate(launch.masterAliveReadEnd.rawValue, atLeast: firstFree)
        try Syscall.duplicate(messages, to: targets.messages)
        try Syscall.duplicate(alive, to: targets.masterAlive)
        try Syscall.closeAll(from: firstFree)
        // The gaps left by refused listeners or other services' may hold master descriptors.
        let listeners = Set(launch.listeners.all.map(\.descriptor))
        for fd in 3..<targets.messages where !listeners.contains(fd) {
            Syscall.close(FileDescriptor(rawValue: fd))
        }
        let null = try Syscall.open("/dev/null", O_RDONLY)
        if null != STDIN_FILENO {
            try Syscall.duplicate(null, to: STDIN_FILENO)
            Syscall.close(FileDescriptor(rawValue: null))
        }
    }
}
