import SystemPackage
import Testing
@testable import Cotyledon

/// The bookkeeping of one control client: deadlines that only progress moves, a request
/// deadline counted from the request's first byte, and when to stop watching for input.
@Suite struct ControlClientTests {
    private static func client(at start: MonotonicInstant) -> ControlClient {
        ControlClient(id: 1, descriptor: FileDescriptor(rawValue: -1), now: start)
    }

    private static func bytes(_ text: String) -> ArraySlice<UInt8> {
        ArraySlice(Array(text.utf8))
    }

    @Test func aTricklingRequestKeepsTheDeadlineOfItsFirstByte() {
        let start = MonotonicInstant.now
        let client = Self.client(at: start)
        client.receive(Self.bytes("{"), now: start)
        for second in 1...9 {
            client.receive(Self.bytes("\""), now: start + .seconds(second))
        }
        // Each byte renewed the idle deadline, not the request's.
        #expect(client.deadline == start + ControlClient.requestTimeout)
        client.receive(Self.bytes("}\n"), now: start + .seconds(9))
        #expect(client.deadline == start + .seconds(9) + ControlClient.idleTimeout, "complete: only the idle deadline")
    }

    @Test func aRequestStartingAfterAnotherGetsItsOwnDeadline() {
        let start = MonotonicInstant.now
        let client = Self.client(at: start)
        client.receive(Self.bytes("{\"v\":1"), now: start)
        client.receive(Self.bytes("}\n{\"v\""), now: start + .seconds(4))
        #expect(client.hasCompleteRequest)
        #expect(client.deadline == start + .seconds(4) + ControlClient.idleTimeout, "a complete request is ahead")
        guard case .line(let line) = client.takeRequest(now: start + .seconds(6)) else {
            Issue.record("no request")
            return
        }
        #expect(line == Array("{\"v\":1}".utf8))
        // The incomplete request waited behind the other one: its time counts from now.
        #expect(client.requestDeadline == start + .seconds(6) + ControlClient.requestTimeout)
        #expect(client.deadline == start + .seconds(4) + ControlClient.idleTimeout, "the earlier of the two")
    }

    @Test func aClientWaitingForAReloadHasNoDeadline() {
        let start = MonotonicInstant.now
        let client = Self.client(at: start)
        client.receive(Self.bytes("{\"v\":1,\"command\":\"reload\",\"wait\":true}\n"), now: start)
        _ = client.takeRequest(now: start)
        client.awaiting = .reload
        #expect(client.deadline == nil)
    }

    @Test func endOfInputStopsWatchingAndFinishesOnceAnswered() {
        let start = MonotonicInstant.now
        let client = Self.client(at: start)
        client.receive(Self.bytes("a\nb\n"), now: start)
        client.inputEnded = true
        #expect(!client.wantsInput)
        #expect(!client.isFinished, "two requests to answer")
        _ = client.takeRequest(now: start)
        _ = client.takeRequest(now: start)
        client.output = Array("answer\n".utf8)
        #expect(!client.isFinished, "an answer to write")
        client.output.removeAll()
        #expect(client.isFinished)
        client.awaiting = .reload
        #expect(!client.isFinished, "a reload's outcome to come")
    }

    @Test func fullOutputStopsAnsweringAndReading() {
        let start = MonotonicInstant.now
        let client = Self.client(at: start)
        client.receive(Self.bytes("a\n"), now: start)
        #expect(client.hasAnswerableRequests && !client.wantsInput)
        client.output = [UInt8](repeating: 0x20, count: ControlClient.maximumPendingOutput)
        #expect(!client.hasAnswerableRequests, "answers wait to be read")
        _ = client.takeRequest(now: start)
        #expect(!client.wantsInput, "no reading either")
        client.output.removeLast()
        #expect(client.wantsInput)
    }

    @Test func anOverlongRequestIsReported() {
        let start = MonotonicInstant.now
        let client = Self.client(at: start)
        client.receive(ArraySlice([UInt8](repeating: 0x41, count: ControlClient.maximumRequestSize + 1)), now: start)
        guard case .tooLarge = client.takeRequest(now: start) else {
            Issue.record("not refused")
            return
        }
    }
}
