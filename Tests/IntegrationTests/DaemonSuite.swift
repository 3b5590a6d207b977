import Testing

/// Every integration test that starts a process, nested here so that they run one at a time:
/// `.serialized` applies within a suite and to the suites nested in it, not across suites.
///
/// Each test starts its own ``Driver``, bounds every wait with a deadline, and ends by checking
/// that nothing it started is left (``Driver/expectCleanEnd(timeout:)``).
@Suite(.serialized)
struct DaemonSuite {}
