/// Elements due at `CLOCK_MONOTONIC` deadlines, taken in deadline order: a binary min-heap.
/// Elements due at the same deadline come out in the order they were inserted. The worker's
/// event loop keeps its scheduled jobs in one, the master's ``DeadlineQueue`` its timers.
struct TimerQueue<Element> {
    private struct Entry {
        let deadline: MonotonicInstant
        /// Insertion order, which breaks ties between equal deadlines.
        let sequence: UInt64
        let element: Element

        func precedes(_ other: Entry) -> Bool {
            (deadline, sequence) < (other.deadline, other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// Creates an empty queue.
    init() {}

    /// How many elements wait.
    var count: Int { heap.count }

    /// The earliest deadline, `nil` when the queue is empty.
    var earliestDeadline: MonotonicInstant? { heap.first?.deadline }

    /// The element due first and its deadline, `nil` when the queue is empty.
    var first: (deadline: MonotonicInstant, element: Element)? {
        heap.first.map { ($0.deadline, $0.element) }
    }

    /// Adds `element`, due at `deadline`.
    mutating func insert(_ element: Element, at deadline: MonotonicInstant) {
        heap.append(Entry(deadline: deadline, sequence: nextSequence, element: element))
        nextSequence &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes the elements due at `now` (deadline at or before it) and appends them to
    /// `due`, earliest first.
    mutating func removeDue(at now: MonotonicInstant, into due: inout [Element]) {
        while let first = heap.first, first.deadline <= now {
            due.append(first.element)
            removeFirst()
        }
    }

    /// Removes the element due first; the queue must not be empty.
    mutating func removeFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count, heap[left].precedes(heap[first]) { first = left }
            if right < heap.count, heap[right].precedes(heap[first]) { first = right }
            guard first != parent else { return }
            heap.swapAt(parent, first)
            parent = first
        }
    }
}
