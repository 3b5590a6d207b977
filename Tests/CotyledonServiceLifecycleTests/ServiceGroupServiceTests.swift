import Cotyledon
@testable import CotyledonServiceLifecycle
import Logging
import ServiceLifecycle
import Testing

/// The bridge's mapping of a worker's life onto its group, in process: no worker, no fork
/// (readiness reports and the default reload go nowhere without a master).
@MainActor
@Suite
struct ServiceGroupServiceTests {
    @Test("the group installs no signal handler and runs the readiness probe last")
    func groupConfiguration() {
        let (service, _) = RecordingService.make()
        let configuration = ServiceGroupService.groupConfiguration(
            services: [.init(service: service, serviceName: "recording")],
            probe: ReadinessProbe {},
            logger: Logger(label: "test"),
            maximumGracefulShutdownDuration: .seconds(5))
        #expect(configuration.gracefulShutdownSignals.isEmpty)
        #expect(configuration.cancellationSignals.isEmpty)
        #expect(configuration.services.map(\.serviceName) == ["recording", ReadinessProbe.serviceName])
        let probe = configuration.services.last
        #expect(probe?.successTerminationBehavior.description == "ignore")
        #expect(probe?.failureTerminationBehavior.description == "ignore")
        #expect(configuration.maximumGracefulShutdownDuration == .seconds(5))
    }

    @Test("terminate() shuts the running group down gracefully and run() returns")
    func terminateShutsDownGracefully() async throws {
        let (recording, events) = RecordingService.make()
        let service = ServiceGroupService(workerID: 3) { workerID in
            #expect(workerID == 3)
            return [.init(service: recording)]
        }
        let run = Task { try await service.run() }
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == .started)
        await service.terminate()
        try await run.value
        #expect(await iterator.next() == .shutDownGracefully)
    }

    @Test("a stop requested before the group exists ends run() without starting the services")
    func stopBeforeTheGroupStarts() async throws {
        let (recording, events) = RecordingService.make()
        let service = ServiceGroupService(workerID: 0) { _ in [.init(service: recording)] }
        service.stopToken.requestStop()
        await service.terminate()
        try await service.run()
        recording.events.finish()
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == nil, "the service never ran")
    }

    @Test("reload() calls the reload handler with the worker's id")
    func reloadCallsTheHandler() async {
        var reloaded: [Int] = []
        let service = ServiceGroupService(workerID: 7) { _ in [] } onReload: { workerID in
            reloaded.append(workerID)
        }
        await service.reload()
        await service.reload()
        #expect(reloaded == [7, 7])
    }

    @Test("without services (neither a closure nor an override), run() throws an error that says what to do")
    func noServices() async {
        let service = ServiceGroupService(workerID: 0)
        await #expect(throws: ServiceGroupServiceError.noServices(service: "service-group")) {
            try await service.run()
        }
        let message = ServiceGroupServiceError.noServices(service: "api").description
        #expect(message.contains("override makeServices()"))
        #expect(message.contains("manager.add(name: \"api\")"))
    }

    @Test("a subclass's services come from its makeServices() and its logger names the worker")
    func subclass() async throws {
        let service = RecordingWorkers(workerID: 2)
        #expect(service.logger.label == "recording-workers")
        #expect(service.logger[metadataKey: "worker"] == "2")
        let run = Task { try await service.run() }
        var iterator = service.events.makeAsyncIterator()
        #expect(await iterator.next() == .started)
        await service.terminate()
        try await run.value
        #expect(await iterator.next() == .shutDownGracefully)
    }
}

/// A subclass of the bridge, as users write one.
final class RecordingWorkers: ServiceGroupService {
    override class var name: String { "recording-workers" }

    private let recording: RecordingService
    let events: AsyncStream<RecordingService.Event>

    required init(workerID: Int) {
        (recording, events) = RecordingService.make()
        super.init(workerID: workerID)
    }

    override func makeServices() async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        [.init(service: recording)]
    }
}
