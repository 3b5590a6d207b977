/// One line a spawned daemon (or one of its descendants, through the inherited stream) wrote.
struct OutputLine: CustomStringConvertible {
    /// Position among all lines of the daemon, from 0, in the order the driver read them.
    let index: Int
    /// `stdout` or `stderr`.
    let stream: String
    let text: String
    /// CLOCK_MONOTONIC seconds when the driver read the line.
    let time: Double
    /// The parsed log line, if `text` has that shape.
    let log: LogLine?

    var description: String { "[\(stream)] \(text)" }
}
