/// A notify queue that backs up because the service manager does not read: since when,
/// and when to try again.
///
/// The master retries when the socket becomes writable (it watches it while
/// ``watchesOutput``) or at ``retryAt``, whichever comes first. A retry at the deadline
/// that sends nothing doubles the delay, up to ``longestRetryDelay``; a writable wake-up
/// that sends nothing stops the watching until the deadline, so a socket that keeps
/// reporting itself writable (or in error) cannot make the master spin.
struct NotifyBacklog {
    /// What led to a send attempt.
    enum Attempt {
        /// A new notification was queued.
        case newNotification
        /// `epoll` reported the socket writable.
        case writable
        /// ``retryAt`` came.
        case retry
    }

    /// The delay of the first retry, and after any progress.
    static let shortestRetryDelay: Duration = .milliseconds(100)
    /// The longest delay between two retries.
    static let longestRetryDelay: Duration = .seconds(5)

    /// When the first notification could not be sent.
    let since: MonotonicInstant
    /// Whether this backlog was logged as a warning (the first one of the master's life).
    let isReported: Bool
    /// When to try again if the socket does not become writable first.
    private(set) var retryAt: MonotonicInstant
    /// The current delay between fruitless retries.
    private(set) var retryDelay = Self.shortestRetryDelay
    /// Whether the master should wait for the socket to become writable.
    private(set) var watchesOutput = true

    /// A backlog beginning `now`.
    init(since now: MonotonicInstant, isReported: Bool) {
        since = now
        self.isReported = isReported
        retryAt = now + Self.shortestRetryDelay
    }

    /// Records an `attempt` at `now` that left notifications waiting, after sending some
    /// (`progressed`) or none.
    mutating func stillBlocked(after attempt: Attempt, progressed: Bool, now: MonotonicInstant) {
        if progressed {
            retryDelay = Self.shortestRetryDelay
            retryAt = now + retryDelay
            watchesOutput = true
            return
        }
        switch attempt {
        case .newNotification:
            break
        case .writable:
            watchesOutput = false
        case .retry:
            retryDelay = min(retryDelay * 2, Self.longestRetryDelay)
            retryAt = now + retryDelay
            watchesOutput = true
        }
    }
}
