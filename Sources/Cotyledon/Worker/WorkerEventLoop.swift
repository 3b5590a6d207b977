import CCotyledonLinux
// Links libdispatch, whose main-queue hooks (declared in CCotyledonLinux) the loop calls.
import Dispatch
import Glibc
import Synchronization
import SystemPackage

/// The worker's one event loop, on its main thread: it runs the jobs of the worker's
/// executors (``WorkerMainExecutor``, ``WorkerTaskExecutor``) and watches the worker's
/// descriptors, all from one `epoll_wait`.
///
/// It waits on: an eventfd that threads enqueueing a job while it sleeps write to (a SwiftNIO
/// event loop resuming a continuation, a `runBlocking` thread returning), one timerfd armed
/// at the earliest scheduled job (`Task.sleep`), libdispatch's main-queue eventfd (so that
/// `DispatchQueue.main` keeps working: the loop drains it as Foundation's RunLoop does), and
/// the descriptors handed to ``watch(_:onReadable:)`` (the signal self-pipe, the master-alive
/// pipe). An idle worker sleeps in `epoll_wait` without a timeout: it never wakes up for
/// nothing.
///
/// Jobs may be enqueued from any thread (a mutex guards the queues); everything else is
/// touched by the main thread only. Jobs run in the order they were enqueued, scheduled
/// ones once due, in deadline order.
final class WorkerEventLoop: @unchecked Sendable {
    /// Which executor a job was enqueued on, so that it runs isolated to it.
    enum Target: Sendable {
        /// The main actor (``WorkerMainExecutor``).
        case mainActor
        /// The default executor of tasks (``WorkerTaskExecutor``): no actor isolation.
        case taskExecutor
    }

    private struct Job: @unchecked Sendable {
        let job: UnownedJob
        let target: Target
    }

    /// What other threads share with the loop.
    private struct Queues {
        var ready: [Job] = []
        var scheduled = TimerQueue<Job>()
        /// The loop waits in `epoll_wait`, not about to look at the queues again by itself.
        var isSleeping = false
        /// A thread already wrote the eventfd since the loop went to sleep.
        var isWakeupSent = false

        /// Whether the caller must write the eventfd: the loop sleeps and no thread woke it yet.
        mutating func claimWakeup() -> Bool {
            guard isSleeping, !isWakeupSent else { return false }
            isWakeupSent = true
            return true
        }
    }

    private let queues = Mutex(Queues())
    private let wakeup: FileDescriptor
    private let timer: FileDescriptor
    private let dispatchMainQueue: FileDescriptor
    private var poll: EventPoll
    /// The timerfd's deadline, `nil` while it is disarmed.
    private var armedDeadline: MonotonicInstant?
    /// What to call when a watched descriptor is readable, with its token. A worker watches
    /// two descriptors, so a list does; and an array of a non-generic record, unlike a
    /// dictionary, makes the new worker look up no protocol conformance (a scan of every
    /// conformance record of the program: about 0.1 ms of each new worker's CPU, measured).
    private var watchers: [Watcher] = []

    private struct Watcher {
        let token: UInt64
        let onReadable: () -> Void
    }
    private let thread = pthread_self()
    private var mainExecutor: UnownedSerialExecutor?
    private var taskExecutor: UnownedTaskExecutor?

    private enum Token {
        static let wakeup: UInt64 = 0
        static let timer: UInt64 = 1
        static let dispatchMainQueue: UInt64 = 2
        /// A watched descriptor's token is its number past this.
        static let firstWatcher: UInt64 = 3

        static func watching(_ fd: FileDescriptor) -> UInt64 {
            firstWatcher + UInt64(fd.rawValue)
        }
    }

    /// Creates the loop on the calling thread, the one that will ``run()`` it: the worker's
    /// main thread.
    init() throws(Errno) {
        poll = try EventPoll()
        wakeup = try Syscall.eventFileDescriptor()
        timer = try Syscall.timerFileDescriptor()
        dispatchMainQueue = FileDescriptor(rawValue: _dispatch_get_main_queue_handle_4CF())
        try poll.add(wakeup, token: Token.wakeup)
        try poll.add(timer, token: Token.timer)
        try poll.add(dispatchMainQueue, token: Token.dispatchMainQueue)
    }

    /// Whether the caller runs on the loop's thread.
    var isLoopThread: Bool {
        pthread_equal(pthread_self(), thread) != 0
    }

    /// Sets the executors the jobs run on; `taskExecutor` is `nil` when tasks run on the
    /// platform's executor instead (``WorkerConcurrency/threadPool``).
    func setExecutors(main: UnownedSerialExecutor, task: UnownedTaskExecutor?) {
        mainExecutor = main
        taskExecutor = task
    }

    /// Queues `job` to run on `target` as soon as the jobs before it have run. Any thread.
    func enqueue(_ job: UnownedJob, on target: Target) {
        let wakes = queues.withLock { queues in
            queues.ready.append(Job(job: job, target: target))
            return queues.claimWakeup()
        }
        if wakes { Syscall.signal(eventFileDescriptor: wakeup) }
    }

    /// Queues `job` to run on `target` once `deadline` is reached. Any thread.
    func enqueue(_ job: UnownedJob, on target: Target, at deadline: MonotonicInstant) {
        let wakes = queues.withLock { queues in
            queues.scheduled.insert(Job(job: job, target: target), at: deadline)
            return queues.claimWakeup()
        }
        if wakes { Syscall.signal(eventFileDescriptor: wakeup) }
    }

    /// Calls `onReadable` on the loop's thread, between jobs, each time `fd` is readable (or
    /// at its end) until ``unwatch(_:)``. Call it on the loop's thread.
    func watch(_ fd: FileDescriptor, onReadable: @escaping () -> Void) throws(Errno) {
        try poll.add(fd, token: Token.watching(fd))
        watchers.append(Watcher(token: Token.watching(fd), onReadable: onReadable))
    }

    /// Stops watching `fd` (at its end of file, say). Call it on the loop's thread.
    func unwatch(_ fd: FileDescriptor) {
        poll.remove(fd)
        watchers.removeAll { $0.token == Token.watching(fd) }
    }

    /// Runs the loop on the worker's main thread until the process exits.
    func run() -> Never {
        precondition(isLoopThread, "the worker's event loop runs on the thread that created it")
        var batch: [Job] = []
        var events: [EventPoll.Event] = []
        while true {
            let now = MonotonicInstant.now
            queues.withLock { queues in
                queues.scheduled.removeDue(at: now, into: &queues.ready)
                swap(&batch, &queues.ready)
            }
            for job in batch { run(job) }
            batch.removeAll(keepingCapacity: true)
            let (sleeps, earliest) = queues.withLock { queues in
                let earliest = queues.scheduled.earliestDeadline
                let idle = queues.ready.isEmpty && !(earliest.map { $0 <= .now } ?? false)
                queues.isSleeping = idle
                return (idle, earliest)
            }
            // A job queued by another thread from here on finds the loop sleeping and wakes it.
            if sleeps { arm(earliest) }
            ccotyledon_worker_set_loop_waiting(1)
            do {
                events = try poll.wait(timeout: sleeps ? -1 : 0)
            } catch {
                fatalError("the worker's epoll_wait failed: \(error)")
            }
            ccotyledon_worker_set_loop_waiting(0)
            queues.withLock { queues in
                queues.isSleeping = false
                queues.isWakeupSent = false
            }
            for event in events { handle(event) }
        }
    }

    private func run(_ job: Job) {
        switch job.target {
        case .mainActor:
            job.job.runSynchronously(on: mainExecutor!)
        case .taskExecutor:
            job.job.runSynchronously(on: taskExecutor!)
        }
    }

    /// Sets the timerfd to the earliest deadline when it is not armed there yet.
    private func arm(_ deadline: MonotonicInstant?) {
        guard deadline != armedDeadline else { return }
        do {
            try Syscall.setTimer(timer, to: deadline)
        } catch {
            fatalError("the worker cannot arm its timerfd: \(error)")
        }
        armedDeadline = deadline
    }

    private func handle(_ event: EventPoll.Event) {
        switch event.token {
        case Token.wakeup:
            Syscall.drainCounter(of: wakeup)
        case Token.timer:
            Syscall.drainCounter(of: timer)
            // Expired: the next turn arms it again for what is left.
            armedDeadline = nil
        case Token.dispatchMainQueue:
            Syscall.drainCounter(of: dispatchMainQueue)
            _dispatch_main_queue_callback_4CF(nil)
        default:
            watchers.first { $0.token == event.token }?.onReadable()
        }
    }
}
