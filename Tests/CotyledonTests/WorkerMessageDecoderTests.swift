import Glibc
import Testing
@testable import Cotyledon

@Suite struct WorkerMessageDecoderTests {
    static let messages: [WorkerMessage] = [
        .ready, .exitingForReload, .stoppedByOutsideSignal(.terminate, sender: 4_194_303),
        .stoppedByOutsideSignal(.interrupt, sender: 0), .stoppedByOutsideSignal(.quit, sender: -1),
    ]

    @Test("every message comes out as it went in, alone or after the others", arguments: messages)
    func roundTrip(_ message: WorkerMessage) {
        var decoder = WorkerMessageDecoder()
        #expect(message.bytes.count <= WorkerMessage.maximumLength)
        let decoded = decoder.decode(message.bytes)
        #expect(decoded.messages == [message] && decoded.skippedBytes == 0)
        let all = decoder.decode(Self.messages.flatMap(\.bytes))
        #expect(all.messages == Self.messages && all.skippedBytes == 0)
    }

    @Test("a message cut anywhere between two reads waits for its rest")
    func cutMessage() {
        let bytes = WorkerMessage.ready.bytes + WorkerMessage.stoppedByOutsideSignal(.terminate, sender: 31_337).bytes
        for cut in 0...bytes.count {
            var decoder = WorkerMessageDecoder()
            let first = decoder.decode(bytes[..<cut])
            let second = decoder.decode(bytes[cut...])
            #expect(first.messages + second.messages == [.ready, .stoppedByOutsideSignal(.terminate, sender: 31_337)], "cut at \(cut)")
            #expect(first.skippedBytes + second.skippedBytes == 0)
        }
    }

    @Test("bytes that start no message are skipped and counted; the messages around them still come out")
    func garbageIsSkipped() {
        var decoder = WorkerMessageDecoder()
        let garbage: [UInt8] = [0x00, 0xFF, 0x41, 0x0A]
        let decoded = decoder.decode(garbage + WorkerMessage.ready.bytes + garbage + WorkerMessage.exitingForReload.bytes)
        #expect(decoded.messages == [.ready, .exitingForReload])
        #expect(decoded.skippedBytes == 2 * garbage.count)
    }

    @Test("a stream of message starts that never end keeps at most one cut message")
    func pendingStaysBounded() {
        var decoder = WorkerMessageDecoder()
        var messages: [WorkerMessage] = []
        for _ in 0..<10_000 {
            messages += decoder.decode([WorkerMessage.stoppedByOutsideSignalTag]).messages
        }
        // Every 6 tag bytes make one (odd) whole message: nothing piles up.
        #expect(messages.count == 10_000 / WorkerMessage.maximumLength)
    }
}
