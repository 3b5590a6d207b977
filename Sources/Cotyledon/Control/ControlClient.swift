import SystemPackage

/// One connected control client: its buffers, its state and its deadlines, served from the
/// master's loop without ever blocking it.
///
/// Work on a client is bounded per loop turn: at most ``requestsPerTurn`` requests, and none
/// while ``maximumPendingOutput`` bytes of answers wait for it to read. Its deadlines move
/// only with progress: bytes read or written renew the idle deadline, and a request must be
/// complete ``requestTimeout`` after its first byte, however slowly it trickles in.
final class ControlClient {
    /// The longest request line accepted.
    static let maximumRequestSize = 64 * 1024
    /// The most input buffered: requests beyond it stay in the kernel's socket buffer.
    static let maximumPendingInput = 2 * maximumRequestSize
    /// Answers kept for a client that does not read them: at this size the master stops
    /// answering (and reading) until the client has read some.
    static let maximumPendingOutput = 1024 * 1024
    /// Requests answered per client per loop turn; the rest wait for the next turn.
    static let requestsPerTurn = 8
    /// A client that makes no progress (sends or reads nothing) for this long is disconnected.
    static let idleTimeout: Duration = .seconds(10)
    /// A request not complete this long after its first byte disconnects its client.
    static let requestTimeout: Duration = .seconds(10)

    /// What ``takeRequest()`` found in the input.
    enum PendingRequest {
        /// A complete request line, without its `\n`.
        case line([UInt8])
        /// No complete line yet.
        case none
        /// A line (complete or pending) longer than ``maximumRequestSize``.
        case tooLarge
    }

    let id: UInt64
    let descriptor: FileDescriptor
    private(set) var input: [UInt8] = []
    var output: [UInt8] = []
    /// Renewed by progress only: bytes read or written.
    private(set) var idleDeadline: MonotonicInstant
    /// When the incomplete request at the end of ``input`` must be complete; `nil` without one.
    private(set) var requestDeadline: MonotonicInstant?
    /// How many complete request lines ``input`` holds.
    private(set) var completeRequests = 0
    /// What the client waits for the outcome of, if anything: the reload (`reload --wait`)
    /// or the upgrade (`upgrade --wait`) it asked for.
    var awaiting: ControlAwaited?
    /// Close once the output is written.
    var closeAfterWrite = false
    /// The peer shut down its sending side (end of file): input is no longer watched.
    var inputEnded = false
    /// The peer is gone (hang-up or error): requests already received are still performed,
    /// their answers dropped.
    var peerGone = false
    /// Closed by the master: nothing more is done with it.
    var isClosed = false

    /// A client connected to the master's previous image, waiting for the answer of the
    /// reload or upgrade it asked for.
    convenience init(adopting descriptor: FileDescriptor, awaiting: ControlAwaited, id: UInt64, now: MonotonicInstant) {
        self.init(id: id, descriptor: descriptor, now: now)
        self.awaiting = awaiting
        inputEnded = true
    }

    init(id: UInt64, descriptor: FileDescriptor, now: MonotonicInstant) {
        self.id = id
        self.descriptor = descriptor
        self.idleDeadline = now + Self.idleTimeout
    }

    /// Appends received bytes: progress, so the idle deadline moves; a request that starts in
    /// them gets its deadline.
    func receive(_ bytes: ArraySlice<UInt8>, now: MonotonicInstant) {
        guard !bytes.isEmpty else { return }
        input.append(contentsOf: bytes)
        idleDeadline = now + Self.idleTimeout
        let newlines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        completeRequests += newlines
        if bytes.last == 0x0A {
            requestDeadline = nil
        } else if newlines > 0 || requestDeadline == nil {
            requestDeadline = now + Self.requestTimeout
        }
    }

    /// Removes and returns the next complete request line. An incomplete request left alone
    /// in the input has its deadline counted from now on, as it waited behind the others.
    func takeRequest(now: MonotonicInstant) -> PendingRequest {
        guard completeRequests > 0, let newline = input.firstIndex(of: 0x0A) else {
            return input.count > Self.maximumRequestSize ? .tooLarge : .none
        }
        guard newline <= Self.maximumRequestSize else { return .tooLarge }
        let line = Array(input[..<newline])
        input.removeSubrange(...newline)
        completeRequests -= 1
        if completeRequests == 0 && !input.isEmpty {
            requestDeadline = now + Self.requestTimeout
        }
        return .line(line)
    }

    /// Drops the unanswered input (after a request too large).
    func discardInput() {
        input.removeAll()
        completeRequests = 0
        requestDeadline = nil
        inputEnded = true
    }

    /// Whether a complete request waits in the input.
    var hasCompleteRequest: Bool { completeRequests > 0 }

    /// Whether enough answers wait for the client that no more are made.
    var outputIsFull: Bool { output.count >= Self.maximumPendingOutput }

    /// Whether requests can be answered now, without waiting for the socket: complete ones, or
    /// one already too large to be.
    var hasAnswerableRequests: Bool {
        !isClosed && (peerGone || !outputIsFull) && (hasCompleteRequest || input.count > Self.maximumRequestSize)
    }

    /// Whether to watch the socket for input: not after end of file, nor while answers or
    /// requests pile up.
    var wantsInput: Bool {
        !inputEnded && !outputIsFull && !hasCompleteRequest && input.count <= Self.maximumPendingInput
    }

    /// Whether the conversation is over: no answer pending or to come.
    var isFinished: Bool {
        if peerGone { return !hasCompleteRequest }
        guard output.isEmpty else { return false }
        return closeAfterWrite || (inputEnded && !hasCompleteRequest && awaiting == nil)
    }

    /// The earliest deadline: the incomplete request's (once no complete one is ahead of it),
    /// and the idle one unless an outcome is awaited.
    var deadline: MonotonicInstant? {
        let idle = awaiting != nil ? nil : idleDeadline
        guard let requestDeadline, !hasCompleteRequest else { return idle }
        return idle.map { min($0, requestDeadline) } ?? requestDeadline
    }

    /// Writes as much pending output as the socket takes (progress renews the idle
    /// deadline); returns false on a dead peer.
    func flush(now: MonotonicInstant) -> Bool {
        while !output.isEmpty {
            let sent: Result<Int?, Errno> = output.withUnsafeBytes { bytes in
                Result { () throws(Errno) in try Syscall.send(descriptor, bytes) }
            }
            guard case .success(let written) = sent else { return false }
            guard let written else { return true }
            output.removeFirst(written)
            idleDeadline = now + Self.idleTimeout
        }
        return true
    }
}
