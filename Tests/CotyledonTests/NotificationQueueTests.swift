import SystemPackage
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
                      ["READY=1", "STATUS=up"], ["STOPPING=1"]].map { Notification($0) }
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

    // MARK: Notifications carrying descriptors

    /// A pipe whose write end only `notification`'s copy holds: the read end sees the end of
    /// file once the queue closed that copy, and would block while it is open.
    final class WatchedDescriptor {
        let readEnd: FileDescriptor
        let copy: FileDescriptor

        init() throws {
            let pipe = try Syscall.pipe()
            readEnd = pipe.readEnd
            try Syscall.setNonBlocking(readEnd)
            copy = try Syscall.duplicateCloseOnExec(pipe.writeEnd)
            Syscall.close(pipe.writeEnd)
        }

        deinit { Syscall.close(readEnd) }

        /// Whether the queue still holds the copy.
        var isOpen: Bool {
            get throws {
                var buffer = [UInt8](repeating: 0, count: 1)
                return try Syscall.read(readEnd, into: &buffer) == nil
            }
        }
    }

    @Test func aNotificationWithDescriptorsIsAStateChangeNeverCoalesced() throws {
        let first = try WatchedDescriptor()
        let second = try WatchedDescriptor()
        var queue = NotificationQueue()
        // Even assignments that would otherwise be a status line or a ping.
        let store = Notification(["FDSTORE=1", "FDNAME=cotyledon.store.http"], passing: [first.copy])
        #expect(store.kind == .state)
        #expect(Notification(["STATUS=x"], passing: [first.copy]).kind == .state)
        #expect(Notification(["WATCHDOG=1"], passing: [first.copy]).kind == .state)
        queue.enqueue(store)
        queue.enqueue(Notification(["STATUS=up"]))
        queue.enqueue(Notification(["FDSTORE=1", "FDNAME=cotyledon.store.http"], passing: [second.copy]))
        queue.enqueue(Notification(["STATUS=still up"]))
        #expect(queue.pending.map(\.descriptors) == [[first.copy], [second.copy], []])
        #expect(try first.isOpen && second.isOpen, "queued descriptors stay open")
    }

    @Test func theQueueClosesADescriptorOnceItsNotificationIsSentOrDropped() throws {
        let sent = try WatchedDescriptor()
        let dropped = try WatchedDescriptor()
        let waiting = try WatchedDescriptor()
        var queue = NotificationQueue(capacity: 2)
        queue.enqueue(Notification(["FDSTORE=1", "FDNAME=a"], passing: [dropped.copy]))
        queue.enqueue(Notification(["FDSTORE=1", "FDNAME=b"], passing: [sent.copy]))
        queue.enqueue(Notification(["FDSTORE=1", "FDNAME=c"], passing: [waiting.copy]))
        #expect(queue.droppedCount == 1)
        #expect(try !dropped.isOpen, "the notification dropped past the capacity had its descriptor closed")
        #expect(try sent.isOpen && waiting.isOpen)
        #expect(queue.first?.text == "FDSTORE=1\nFDNAME=b")
        queue.removeFirst()
        #expect(try !sent.isOpen, "a notification taken off the queue has its descriptor closed")
        #expect(try waiting.isOpen)
        queue.removeFirst()
        #expect(try !waiting.isOpen)
    }
}
