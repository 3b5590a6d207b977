import Testing
@testable import Cotyledon

@Suite struct ThreadCountTests {
    @Test func readsTheRunnersThreadCount() throws {
        // The test runner is multi-threaded: this is why run() refuses to start inside it.
        let threads = try #require(ThreadCount.current())
        #expect(threads > 1)
    }

    @Test func trimsSpacesAndTabs() {
        #expect(" \t12 \t".dropFirst(0).trimmingSpaces() == "12")
    }
}
