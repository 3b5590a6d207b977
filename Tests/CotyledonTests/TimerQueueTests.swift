import Testing
@testable import Cotyledon

@Suite struct TimerQueueTests {
    private func at(_ nanoseconds: Int64) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds)
    }

    @Test("due elements come out in deadline order, ties in insertion order; later ones stay")
    func takesDueElementsInDeadlineOrder() {
        var queue = TimerQueue<String>()
        for (name, deadline) in [("c", 30), ("a", 10), ("d", 30), ("late", 100), ("b", 20), ("e", 30)] as [(String, Int64)] {
            queue.insert(name, at: at(deadline))
        }
        #expect(queue.earliestDeadline == at(10))
        var due: [String] = []
        queue.removeDue(at: at(30), into: &due)
        #expect(due == ["a", "b", "c", "d", "e"])
        #expect(queue.count == 1 && queue.earliestDeadline == at(100))
        queue.removeDue(at: at(99), into: &due)
        #expect(due.count == 5, "nothing is due before its deadline")
        queue.removeDue(at: at(100), into: &due)
        #expect(due.last == "late" && queue.earliestDeadline == nil)
    }

    @Test("a thousand deadlines in scrambled order come out sorted")
    func sortsManyDeadlines() {
        var queue = TimerQueue<Int64>()
        var random = SplitMix64(state: 7)
        var deadlines: [Int64] = []
        for _ in 0..<1000 {
            let deadline = Int64(random.next() % 500)
            deadlines.append(deadline)
            queue.insert(deadline, at: at(deadline))
        }
        var due: [Int64] = []
        queue.removeDue(at: at(.max), into: &due)
        #expect(due == deadlines.sorted())
        #expect(queue.count == 0)
    }
}
