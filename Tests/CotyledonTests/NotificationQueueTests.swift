import Testing
@testable import Cotyledon

@Suite struct NotificationQueueTests {
    typealias Notification = NotificationQueue.Notification

    @Test func classifiesByWhatTheDatagramSays() {
        #expect(Notification(["READY=1", "STATUS=up"]).kind == .state)
        #expect(Notification(["STOPPING=1", "EXTEND_TIMEOUT_USEC=1"]).kind == .state)
        #expect(Notification(["MAINPID=1", "STATUS=starting"]).kind == .state)
        #expect(Notification(["STATUS=up"]).kind == .status)
        #expect(Notification(["WATCHDOG=1"]).kind == .watchdog)
        #expect(Notification(["WATCHDOG=1", "STATUS=x"]).kind == .state)
        #expect(Notification(["READY=1", "STATUS=up"]).text == "READY=1\nSTATUS=up")
    }

    /// A status quoting a hostile configuration key adds no assignment of its own.
    @Test func controlCharactersInAValueCannotAddAnAssignment() {
        let status = "reload failed: x\nWATCHDOG=trigger\nMAINPID=1\u{0}STOPPING=1"
        let text = Notification(["READY=1", "STATUS=\(status)"]).text
        #expect(text == "READY=1\nSTATUS=reload failed: x\\nWATCHDOG=trigger\\nMAINPID=1\\u0000STOPPING=1")
        #expect(text.split(separator: "\n").map { $0.prefix { $0 != "=" } } == ["READY", "STATUS"])
        #expect(!text.unicodeScalars.contains("\u{0}"))
    }

    @Test func stateChangesKeepTheirOrderAndAreNeverMerged() {
        var queue = NotificationQueue()
        let states = [["MAINPID=7", "STATUS=starting"], ["READY=1", "STATUS=up"], ["RELOADING=1", "MONOTONIC_USEC=5"],
                      ["READY=1", "STATUS=up"], ["STOPPING=1"]].map(Notification.init)
        for state in states { queue.enqueue(state) }
        #expect(queue.pending == states)
        var sent: [Notification] = []
        while let next = queue.first {
            sent.append(next)
            queue.removeFirst()
        }
        #expect(sent == states)
        #expect(queue.isEmpty)
    }

    @Test func aStatusLineReplacesTheOneStillWaitingAndGoesLast() {
        var queue = NotificationQueue()
        queue.enqueue(Notification(["STATUS=1/4 ready"]))
        queue.enqueue(Notification(["READY=1", "STATUS=4/4 ready"]))
        queue.enqueue(Notification(["STATUS=3/4 ready"]))
        queue.enqueue(Notification(["STATUS=4/4 ready, 1 restart"]))
        #expect(queue.pending.map(\.text) == ["READY=1\nSTATUS=4/4 ready", "STATUS=4/4 ready, 1 restart"])
    }

    @Test func oneWatchdogPingWaitsAtMost() {
        var queue = NotificationQueue()
        queue.enqueue(Notification(["WATCHDOG=1"]))
        queue.enqueue(Notification(["READY=1"]))
        queue.enqueue(Notification(["WATCHDOG=1"]))
        #expect(queue.pending.map(\.text) == ["WATCHDOG=1", "READY=1"])
        queue.removeFirst()
        queue.enqueue(Notification(["WATCHDOG=1"]))
        #expect(queue.pending.map(\.text) == ["READY=1", "WATCHDOG=1"])
    }

    @Test func pastItsCapacityTheOldestIsDroppedAndCounted() {
        var queue = NotificationQueue(capacity: 3)
        for index in 0..<5 {
            queue.enqueue(Notification(["RELOADING=1", "MONOTONIC_USEC=\(index)"]))
        }
        #expect(queue.pending.map(\.text) == (2..<5).map { "RELOADING=1\nMONOTONIC_USEC=\($0)" })
        #expect(queue.droppedCount == 2)
        // Coalescing keeps a stream of status lines and pings from ever filling it.
        var coalescing = NotificationQueue(capacity: 3)
        for index in 0..<1000 {
            coalescing.enqueue(Notification(["STATUS=\(index)"]))
            coalescing.enqueue(Notification(["WATCHDOG=1"]))
        }
        #expect(coalescing.pending.map(\.text) == ["WATCHDOG=1", "STATUS=999"])
        #expect(coalescing.droppedCount == 0)
    }
}
