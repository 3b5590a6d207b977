/// Splits what a worker's message pipe delivers into ``WorkerMessage``s, in the master.
///
/// A message cut between two reads waits here for the rest; at most one unfinished
/// message (fewer than ``WorkerMessage/maximumLength`` bytes) is kept, whatever the worker
/// writes. A byte that starts no message is skipped and counted, so garbage costs a
/// warning, never memory or the messages after it.
struct WorkerMessageDecoder {
    /// The start of a message whose remaining bytes have not arrived yet.
    private var pending: [UInt8] = []

    /// Decodes `bytes`, which follow every byte decoded before.
    ///
    /// - Parameter bytes: what one read of the pipe returned.
    /// - Returns: the whole messages, in order, and how many bytes started no message.
    mutating func decode(_ bytes: some Sequence<UInt8>) -> (messages: [WorkerMessage], skippedBytes: Int) {
        let buffer = pending + Array(bytes)
        pending = []
        var messages: [WorkerMessage] = []
        var skipped = 0
        var index = buffer.startIndex
        while index < buffer.endIndex {
            guard let length = WorkerMessage.length(ofMessageTagged: buffer[index]) else {
                skipped += 1
                index += 1
                continue
            }
            guard buffer.endIndex - index >= length else {
                pending = Array(buffer[index...])
                break
            }
            if let message = WorkerMessage(buffer[index..<index + length]) { messages.append(message) }
            index += length
        }
        return (messages, skipped)
    }
}
