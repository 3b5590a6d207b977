import Testing
@testable import Cotyledon
#if canImport(Glibc)
import Glibc
#endif

@MainActor @Suite struct RunBlockingTests {
    struct Refusal: Error, Equatable {
        let code: Int
    }

    /// Typed throws reach the caller: this compiles only if `runBlocking` throws `Refusal`.
    private func refuse(_ service: Service) async throws(Refusal) -> Int {
        try await service.runBlocking { _ throws(Refusal) -> Int in throw Refusal(code: 7) }
    }

    @Test("returns what the closure returns, off the main thread")
    func returnsTheValue() async {
        let service = Service(workerID: 0)
        let mainThread = pthread_self()
        let (value, thread) = await service.runBlocking { _ in (42, pthread_self()) }
        #expect(value == 42)
        #expect(thread != mainThread)
    }

    @Test("rethrows the closure's error with its type")
    func rethrowsTheError() async {
        let service = Service(workerID: 0)
        do {
            _ = try await refuse(service)
            Issue.record("runBlocking returned")
        } catch {
            #expect(error == Refusal(code: 7))
        }
    }

    @Test("the closure gets the worker's stop token")
    func passesTheStopToken() async {
        let service = Service(workerID: 0)
        service.stopToken.requestStop()
        #expect(await service.runBlocking { token in token.isStopRequested })
    }
}
