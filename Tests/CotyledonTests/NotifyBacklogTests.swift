import Testing
@testable import Cotyledon

@Suite struct NotifyBacklogTests {
    let start = MonotonicInstant(nanoseconds: 1_000_000_000)

    @Test func fruitlessRetriesDoubleTheDelayUpToTheLongest() {
        var backlog = NotifyBacklog(since: start, isReported: true)
        #expect(backlog.retryAt == start + NotifyBacklog.shortestRetryDelay)
        var now = start
        var delays: [Duration] = []
        for _ in 0..<10 {
            now = backlog.retryAt
            backlog.stillBlocked(after: .retry, progressed: false, now: now)
            delays.append(backlog.retryAt - now)
        }
        #expect(delays.prefix(5) == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200)])
        #expect(delays.dropFirst(5).allSatisfy { $0 == NotifyBacklog.longestRetryDelay })
        #expect(backlog.watchesOutput)
    }

    @Test func progressResetsTheDelay() {
        var backlog = NotifyBacklog(since: start, isReported: false)
        backlog.stillBlocked(after: .retry, progressed: false, now: start)
        backlog.stillBlocked(after: .retry, progressed: false, now: start)
        let now = start + .seconds(1)
        backlog.stillBlocked(after: .writable, progressed: true, now: now)
        #expect(backlog.retryAt == now + NotifyBacklog.shortestRetryDelay)
        #expect(backlog.watchesOutput)
    }

    @Test func aWritableWakeUpThatSendsNothingStopsTheWatchingUntilTheRetry() {
        var backlog = NotifyBacklog(since: start, isReported: true)
        let retryAt = backlog.retryAt
        backlog.stillBlocked(after: .writable, progressed: false, now: start + .milliseconds(1))
        #expect(!backlog.watchesOutput, "a socket that keeps reporting itself writable would make the master spin")
        #expect(backlog.retryAt == retryAt)
        backlog.stillBlocked(after: .retry, progressed: false, now: retryAt)
        #expect(backlog.watchesOutput)
    }

    @Test func aNewNotificationChangesNoTimer() {
        var backlog = NotifyBacklog(since: start, isReported: true)
        let retryAt = backlog.retryAt
        for _ in 0..<100 {
            backlog.stillBlocked(after: .newNotification, progressed: false, now: start + .milliseconds(50))
        }
        #expect(backlog.retryAt == retryAt)
        #expect(backlog.retryDelay == NotifyBacklog.shortestRetryDelay)
    }
}
