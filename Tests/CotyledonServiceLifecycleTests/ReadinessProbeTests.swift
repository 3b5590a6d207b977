@testable import CotyledonServiceLifecycle
import Logging
import ServiceLifecycle
import Testing

/// The probe that reports a worker ready once its group has started every service.
@Suite
struct ReadinessProbeTests {
    @Test("the probe reports ready once the group runs, and stops at the graceful shutdown")
    func reportsReadyOnceTheGroupRuns() async throws {
        let (recording, events) = RecordingService.make()
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let group = ServiceGroup(configuration: ServiceGroupService.groupConfiguration(
            services: [.init(service: recording)],
            probe: ReadinessProbe { readyContinuation.yield() },
            logger: Logger(label: "test"),
            maximumGracefulShutdownDuration: nil))
        let run = Task { try await group.run() }
        var readyIterator = ready.makeAsyncIterator()
        await readyIterator.next()
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == .started)
        await group.triggerGracefulShutdown()
        try await run.value
        #expect(await iterator.next() == .shutDownGracefully)
    }
}
