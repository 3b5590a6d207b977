import Testing
@testable import Cotyledon

/// An instant `milliseconds` after an arbitrary origin.
private func at(_ milliseconds: Int64) -> MonotonicInstant {
    MonotonicInstant(nanoseconds: 1_000_000_000_000 + milliseconds * 1_000_000)
}

/// The slot of worker `workerID` of the first service.
private func slot(_ workerID: Int) -> WorkerSlot {
    WorkerSlot(service: ServiceID(rawValue: 0), workerID: workerID)
}

/// Ordering, cancelling and the `epoll_wait` timeout of the master's deadlines.
@Suite struct DeadlineQueueTests {
    /// The nearest instant wins, whatever order deadlines were armed in.
    @Test func nextIsTheNearestDeadlineWhateverTheSchedulingOrder() {
        var queue = DeadlineQueue()
        #expect(queue.next == nil)
        queue.schedule(.startup, at: at(300))
        queue.schedule(.killWorker(42), at: at(100))
        queue.schedule(.respawn(slot(1)), at: at(200))
        #expect(queue.next == at(100))
    }

    /// Cancelling disarms that deadline alone; cancelling one not armed does nothing.
    @Test func cancelDisarmsOnlyThatDeadline() {
        var queue = DeadlineQueue()
        queue.schedule(.killWorker(42), at: at(100))
        queue.schedule(.killWorker(43), at: at(200))
        queue.cancel(.killWorker(42))
        queue.cancel(.heartbeatCheck)
        #expect(queue.instant(of: .killWorker(42)) == nil)
        #expect(queue.next == at(200))
        #expect(queue.popDue(now: at(1000)) == [.killWorker(43)])
    }

    /// `cancelAll(where:)` disarms the selected kinds and keeps the others.
    @Test func cancelAllDisarmsTheSelectedDeadlines() {
        var queue = DeadlineQueue()
        queue.schedule(.respawn(slot(0)), at: at(100))
        queue.schedule(.respawn(slot(1)), at: at(200))
        queue.schedule(.watchdogPing, at: at(300))
        queue.cancelAll { if case .respawn = $0 { true } else { false } }
        #expect(queue.popDue(now: at(1000)) == [.watchdogPing])
    }

    /// A deadline has one instant: scheduling it again moves it.
    @Test func schedulingAgainReplacesTheInstant() {
        var queue = DeadlineQueue()
        queue.schedule(.heartbeatCheck, at: at(100))
        queue.schedule(.heartbeatCheck, at: at(500))
        #expect(queue.instant(of: .heartbeatCheck) == at(500))
        #expect(queue.popDue(now: at(400)).isEmpty, "the earlier instant is gone")
        #expect(queue.popDue(now: at(500)) == [.heartbeatCheck])
    }

    /// `update(_:to:)` arms with an instant and disarms with `nil`.
    @Test func updateSchedulesOrCancels() {
        var queue = DeadlineQueue()
        queue.update(.notifier, to: at(100))
        #expect(queue.instant(of: .notifier) == at(100))
        queue.update(.notifier, to: nil)
        #expect(queue.instant(of: .notifier) == nil)
    }

    /// Only due deadlines are popped, earliest first, and they are disarmed.
    @Test func popDueReturnsOnlyTheDueDeadlinesEarliestFirst() {
        var queue = DeadlineQueue()
        queue.schedule(.lifetimeCheck, at: at(300))
        queue.schedule(.rollReadiness(ServiceID(rawValue: 2)), at: at(100))
        queue.schedule(.killLeftoverGroup(7), at: at(250))
        queue.schedule(.controlClients, at: at(301))
        #expect(queue.popDue(now: at(300)) == [.rollReadiness(ServiceID(rawValue: 2)), .killLeftoverGroup(7), .lifetimeCheck])
        #expect(queue.next == at(301), "what is not due stays")
        #expect(queue.popDue(now: at(300)).isEmpty, "popped deadlines are disarmed")
    }

    /// Ties come out in the order they were scheduled.
    @Test func deadlinesDueAtTheSameInstantComeInSchedulingOrder() {
        var queue = DeadlineQueue()
        let kinds: [Deadline] = [.watchdogPing, .killWorker(9), .startup, .respawn(slot(3)), .killWorker(2), .notifier]
        for kind in kinds {
            queue.schedule(kind, at: at(100))
        }
        #expect(queue.popDue(now: at(100)) == kinds)
    }

    /// The timeout reaches the nearest deadline in whole milliseconds, rounded up.
    @Test func pollTimeoutRoundsUpToTheNearestDeadline() {
        var queue = DeadlineQueue()
        queue.schedule(.startup, at: at(10) + .microseconds(1))
        queue.schedule(.watchdogPing, at: at(20))
        #expect(queue.pollTimeout(now: at(0)) == 11, "a wake-up is never early")
        #expect(queue.pollTimeout(now: at(10) + .microseconds(1)) == 0)
        #expect(queue.pollTimeout(now: at(50)) == 0, "past deadlines are due now")
    }

    /// A deadline too far away for `Int32` milliseconds gives the largest timeout.
    @Test func pollTimeoutSaturatesForFarDeadlines() {
        var queue = DeadlineQueue()
        queue.schedule(.lifetimeCheck, at: at(0) + .seconds(Int64.max))
        #expect(queue.pollTimeout(now: at(0)) == Int32.max)
    }

    /// No deadline armed: wait forever.
    @Test func pollTimeoutWaitsForeverWithoutDeadlines() {
        var queue = DeadlineQueue()
        #expect(queue.pollTimeout(now: at(0)) == -1)
        queue.schedule(.startup, at: at(5))
        queue.cancel(.startup)
        #expect(queue.pollTimeout(now: at(0)) == -1)
    }

    /// A stop arms one kill deadline per worker: with a thousand armed, cancelled as workers
    /// exit and re-armed, the queue pops the same deadlines in the same order as a plain
    /// table scanned in full (the model), at every step.
    @Test func manyDeadlinesArmedCancelledAndReArmedPopLikeAFullScan() {
        var random = SplitMix64(state: 0xC0FF_EE00)
        var queue = DeadlineQueue()
        var model: [Deadline: (instant: MonotonicInstant, sequence: Int)] = [:]
        var sequence = 0
        var now: Int64 = 0
        for step in 0..<20_000 {
            let pid = Int32(Int.random(in: 1...1000, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let instant = at(now + Int64.random(in: 0...500, using: &random))
                queue.schedule(.killWorker(pid), at: instant)
                model[.killWorker(pid)] = (instant, sequence)
                sequence += 1
            case 5..<8:
                queue.cancel(.killWorker(pid))
                model[.killWorker(pid)] = nil
            default:
                now += Int64.random(in: 0...50, using: &random)
                let expected = model.filter { $0.value.instant <= at(now) }
                    .sorted { ($0.value.instant, $0.value.sequence) < ($1.value.instant, $1.value.sequence) }.map(\.key)
                for deadline in expected { model[deadline] = nil }
                #expect(queue.popDue(now: at(now)) == expected, "step \(step)")
            }
            #expect(queue.next == model.values.map(\.instant).min(), "step \(step)")
        }
    }
}
