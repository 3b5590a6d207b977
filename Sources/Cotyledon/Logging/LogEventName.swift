import Logging

/// The `event=` names the master and workers log: each record's `event` metadata is one
/// of these, so scripts and tests can match a line by name. A raw value is the exact text
/// written after `event=`.
///
/// Named apart from swift-log's `LogEvent` (the record a handler receives), which a type
/// of that name in this module would shadow.
enum LogEventName: String, CaseIterable {
    // MARK: Master lifecycle

    /// The master has started, listing its services and their worker counts.
    case masterStarted = "master-started"
    /// `/proc` belongs to another pid namespace, so adopted orphans are not stopped.
    case procForeign = "proc-foreign"
    /// The control socket is listening at its path.
    case controlListening = "control-listening"
    /// `epoll_wait` failed in the master's loop.
    case pollFailed = "poll-failed"
    /// Every worker of every service has reported ready.
    case allReady = "all-ready"
    /// Settled after its start or a reload, the master unmapped the pages
    /// of files only it mapped (debug level).
    case startupPagesReleased = "startup-pages-released"
    /// The initial workers were not all ready when the startup timeout expired; the master stops.
    case startupTimeout = "startup-timeout"
    /// The master gives up after a crash loop or repeated boot failures, stopping every service.
    case giveUp = "give-up"
    /// The master begins a stop, graceful or fast.
    case stopping = "stopping"
    /// The master exits, with its exit status.
    case masterExit = "master-exit"

    // MARK: Signals and control

    /// The master received a signal it acts on.
    case signal = "signal"
    /// A signal arrived while stopping and is ignored.
    case signalIgnored = "signal-ignored"
    /// Reading the master's signal descriptor failed.
    case signalReadFailed = "signal-read-failed"
    /// A control connection was dropped because the master ran out of file descriptors.
    case controlEmfile = "control-emfile"
    /// The daemon's log level was changed through the control socket.
    case logLevel = "log-level"
    /// A service was scaled to a new worker count.
    case scaled = "scaled"
    /// A scaling signal was ignored: the worker count would leave the service's range.
    case scaleRefused = "scale-refused"

    // MARK: Workers seen by the master

    /// The master forked a worker.
    case workerStarted = "worker-started"
    /// A worker reported ready.
    case workerReady = "worker-ready"
    /// A worker exited, with its exit status.
    case workerExited = "worker-exited"
    /// The master asked a worker to stop.
    case workerStopping = "worker-stopping"
    /// A worker did not stop in time and its process group is sent `SIGKILL`.
    case stopTimeout = "stop-timeout"
    /// A crashing worker's respawn is delayed after repeated early failures.
    case respawnDelayed = "respawn-delayed"
    /// Forking a worker failed.
    case forkFailed = "fork-failed"
    /// The master cannot watch a new worker's message pipe.
    case epollFailed = "epoll-failed"
    /// A worker sent bytes that start no message the master knows.
    case protocolError = "protocol-error"
    /// A worker missed its heartbeat and is sent `SIGABRT`.
    case heartbeatTimeout = "heartbeat-timeout"
    /// A worker still hung after `SIGABRT` has its process group sent `SIGKILL`.
    case heartbeatKill = "heartbeat-kill"
    /// Processes left in an exited worker's process group are sent `SIGTERM`.
    case workerGroupCleanup = "worker-group-cleanup"
    /// Processes still left in an exited worker's process group are sent `SIGKILL`.
    case workerGroupKill = "worker-group-kill"
    /// The master reaped a process that is not one of its workers.
    case reapedOther = "reaped-other"
    /// A lifecycle hook threw.
    case hookFailed = "hook-failed"

    // MARK: Reloads and rolling restarts

    /// A reload waits for the rolling restart in progress.
    case reloadQueued = "reload-queued"
    /// The master begins a reload.
    case reloading = "reloading"
    /// The reloaded configuration could not be applied.
    case reloadFailed = "reload-failed"
    /// A reload is over, successful or not.
    case reloadComplete = "reload-complete"

    // MARK: In-place upgrade

    /// An upgrade was asked for (SIGUSR2, `upgrade`): its check run starts, or it joins one.
    case upgradeRequested = "upgrade-requested"
    /// An upgrade was refused: asked for during a reload, or its check failed; nothing changed.
    case upgradeRefused = "upgrade-refused"
    /// The check passed: the master executes the new build in place.
    case upgradeExec = "upgrade-exec"
    /// The `execve` (or what prepares it) failed: the running build goes on.
    case upgradeExecFailed = "upgrade-exec-failed"
    /// The new image took over the previous image's workers.
    case upgradeAdopted = "upgrade-adopted"
    /// Every adopted worker was replaced by one of the new build.
    case upgradeComplete = "upgrade-complete"
    /// A roll of the upgrade was aborted: some workers of the previous build remain.
    case upgradeFailed = "upgrade-failed"
    /// The new image could not map the previous image's heartbeat board: the workers'
    /// heartbeats are not checked until they are replaced.
    case upgradeHeartbeatsLost = "upgrade-heartbeats-lost"
    /// The new image found the control socket's file removed or replaced since the previous
    /// image created it: it closed the old socket and created a new one.
    case upgradeControlSocketRecreated = "upgrade-control-socket-recreated"
    /// A worker of a service the new image does not run (stopped at the takeover) exited.
    case upgradeVanishedWorkerExited = "upgrade-vanished-worker-exited"
    /// A rolling restart of a service began.
    case rollStarted = "roll-started"
    /// A rolling restart of a service completed.
    case rollComplete = "roll-complete"
    /// A rolling restart of a service was aborted.
    case rollAborted = "roll-aborted"
    /// A worker past its maximum lifetime is replaced.
    case recycle = "recycle"

    // MARK: Inside a worker

    /// A worker cannot set up its descriptors or signal handling.
    case workerSetupFailed = "worker-setup-failed"
    /// A worker's service could not be created, or its `run()` failed.
    case runFailed = "run-failed"
    /// A worker's `run()` threw while the worker was stopping.
    case runStoppedWithError = "run-stopped-with-error"
    /// A worker's `run()` returned before the worker was stopped.
    case runReturned = "run-returned"
    /// A worker begins terminating.
    case workerTerminate = "worker-terminate"
    /// A worker's `run()` has returned while its `terminate()` has not: it waits, for a bounded time.
    case waitingForTerminate = "waiting-for-terminate"
    /// A worker gave up waiting for its `terminate()` at the graceful shutdown timeout.
    case terminateTimeout = "terminate-timeout"
    /// A worker begins reloading its service.
    case workerReload = "worker-reload"
    /// A worker could not read the settings of a reload and keeps its own.
    case settingsUnreadable = "settings-unreadable"
    /// A worker found its master gone and stops.
    case orphaned = "orphaned"
    /// A worker got a stop signal from another process than its master, and tells the master.
    case outsideSignal = "outside-signal"

    // MARK: systemd

    /// Notifying systemd failed; no (further) failure is logged.
    case notifyFailed = "notify-failed"
    /// systemd's notification socket is not reading: notifications wait in a queue.
    case notifyBacklog = "notify-backlog"
    /// systemd's notification socket took the notifications that waited.
    case notifyDrained = "notify-drained"
    /// Notifications were still undelivered when the master exited.
    case notifyUndelivered = "notify-undelivered"
    /// The watchdog variables are not valid and are ignored.
    case watchdogIgnored = "watchdog-ignored"
    /// The watchdog ping interval was clamped.
    case watchdogClamped = "watchdog-clamped"
    /// The inherited `LISTEN_FDS` are ignored.
    case listenFdsIgnored = "listen-fds-ignored"
    /// An inherited descriptor that is not a socket is closed.
    case listenFdRefused = "listen-fd-refused"
    /// The master inherited listening sockets from systemd.
    case listeners = "listeners"
    /// The master opened a declared listener (`name`, `address` as bound, `fd`).
    case listenerOpened = "listener-opened"
    /// A reload kept a listener's socket (its address unchanged, or a new name at the same
    /// address), logged for every kept listener; a new mode or backlog is applied to it.
    case listenerKept = "listener-kept"
    /// The master closed a listener a reload replaced or removed.
    case listenerClosed = "listener-closed"
    /// A declared listener is not opened: systemd passed a socket of that name.
    case listenerFromSystemd = "listener-from-systemd"
    /// The master put a declared listener in systemd's file descriptor store (`FDSTORE=1`;
    /// `name`, `fdname`, `fd`).
    case fdStored = "fd-stored"
    /// The master asked systemd to remove a socket from its store (`FDSTOREREMOVE=1`;
    /// `fdname`, `reason`).
    case fdStoreRemoved = "fd-store-removed"
    /// A declared listener uses the socket systemd's store handed back (`name`, `fd`, `address`).
    case fdStoreRestored = "fd-store-restored"
    /// A socket systemd's store handed back is not used: closed, with the `reason`.
    case fdStoreDropped = "fd-store-dropped"

    // MARK: Logging

    /// Log lines were dropped because the master's log stream was full.
    case logDropped = "log-dropped"
}

extension Logger.MetadataValue {
    /// The value of a record's `event` metadata: `["event": .event(.workerStarted)]`.
    static func event(_ name: LogEventName) -> Self {
        .string(name.rawValue)
    }
}
