internal import CotyledonControlProtocol

/// What performing a control command gives the client: an answer now, or one when the
/// reload or upgrade it started is over (`reload --wait`, `upgrade --wait`).
enum ControlOutcome: Equatable {
    /// Answer at once.
    case reply(ControlReply)
    /// Answer `ok` or `reload-failed` when the reload completes or fails
    /// (``ControlServer/answerWaiters(for:failure:)``).
    case replyWhenReloadEnds
    /// Answer `ok` or `upgrade-failed` when the upgrade completes or fails
    /// (``ControlServer/answerWaiters(for:failure:)``), in this image or the next.
    case replyWhenUpgradeEnds
}
