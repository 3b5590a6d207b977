import Cotyledon
import Glibc

/// Accepts on every listener its worker holds and answers each connection with one line,
/// `pid PID listener NAME`, then closes it. A thread blocks in `poll` on the listeners; the
/// worker is ready once that thread runs.
final class AnsweringService: Service, WorkerIDInitializable {
    override class var name: String { "answerer" }
    override class var reloadsInPlace: Bool { true }
    override class var readiness: ReadinessMode { .explicit }

    /// `--never-ready`: the workers neither serve nor report ready, as a broken build's would
    /// (set by main before the manager runs).
    nonisolated(unsafe) static var isNeverReady = false

    override func run() async throws {
        if Self.isNeverReady {
            emit("answerer never ready worker=\(workerID) pid=\(getpid())")
        } else {
            emit("answerer listening worker=\(workerID) pid=\(getpid()) listeners=\(listeners.all.map { "\($0.name):\($0.descriptor)" }.joined(separator: ","))")
            AnsweringThread.start(serving: listeners.all)
            markReady()
        }
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    override func reload() async {
        emit("service-reload worker=\(workerID)")
    }
}

/// The thread that accepts and answers, outside the main actor.
enum AnsweringThread {
    /// The listeners the thread serves (one worker process, one thread: set once before it starts).
    nonisolated(unsafe) static var served: [Listeners.Listener] = []

    /// Starts the thread serving `listeners`.
    static func start(serving listeners: [Listeners.Listener]) {
        served = listeners
        var thread = pthread_t()
        pthread_create(&thread, nil, answeringThreadMain, nil)
    }

    fileprivate static func serveForever() {
        var pending = served.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        while true {
            guard poll(&pending, nfds_t(pending.count), -1) > 0 else { continue }
            for (index, entry) in pending.enumerated() where entry.revents != 0 {
                let client = accept(entry.fd, nil, nil)
                guard client >= 0 else { continue } // another worker took it
                var bytes = Array("pid \(getpid()) listener \(served[index].name)\n".utf8)
                _ = write(client, &bytes, bytes.count)
                close(client)
            }
        }
    }
}

/// The entry point of the answering thread.
private func answeringThreadMain(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    AnsweringThread.serveForever()
    return nil
}
