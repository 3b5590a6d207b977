internal import CotyledonControlProtocol

/// What performing a control command gives the client: an answer now, or one when the
/// reload it started is over (`reload --wait`).
enum ControlOutcome: Equatable {
    /// Answer at once.
    case reply(ControlReply)
    /// Answer `ok` or `reload-failed` when the reload completes or fails
    /// (``ControlServer/answerReloadWaiters(failure:)``).
    case replyWhenReloadEnds
}
