/// One line the driver wrote: a reply to a command or an asynchronous event.
/// See `TestDriver` in `Tests/CotyledonTestDriver` for the protocol.
struct DriverMessage: Decodable {
    /// `hello`, `reply`, `line`, `closed`, `exit` or `triggered`.
    let type: String
    /// CLOCK_MONOTONIC seconds when the driver wrote the message.
    let t: Double
    let seq: Int?
    let ok: Bool?
    let error: String?
    let pid: Int32?
    let stream: String?
    let text: String?
    let status: String?
    /// The signal a trigger sent.
    let signal: String?
    let procs: [ProcessSnapshot]?
    let killed: Int?
}
