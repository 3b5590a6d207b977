import Foundation
import Logging
import Testing
@testable import Cotyledon

@Suite struct LogEventNameTests {
    /// The `Sources/Cotyledon` directory of this package.
    static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/Cotyledon")

    @Test("every event name is written once")
    func rawValuesAreUnique() {
        let names = LogEventName.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
    }

    @Test("every event name is lowercase words joined by hyphens", arguments: LogEventName.allCases)
    func rawValueIsHyphenatedLowercase(_ name: LogEventName) {
        let words = name.rawValue.split(separator: "-", omittingEmptySubsequences: false)
        #expect(words.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLowercase } }, "\(name.rawValue)")
    }

    @Test("the file descriptor store's events have the names the operators' documentation gives")
    func fileDescriptorStoreEvents() {
        #expect([LogEventName.fdStored, .fdStoreRemoved, .fdStoreRestored, .fdStoreDropped].map(\.rawValue)
            == ["fd-stored", "fd-store-removed", "fd-store-restored", "fd-store-dropped"])
    }

    @Test("the event metadata value is the raw value")
    func metadataValueIsRawValue() {
        #expect(Logger.MetadataValue.event(.workerStarted).description == "worker-started")
    }

    @Test("no source file of the library writes an event name as a string literal")
    func noEventLiteralInSources() throws {
        let files = try #require(FileManager.default.enumerator(at: Self.sourceDirectory, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 20, "the sources were not found at \(Self.sourceDirectory.path)")
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(!text.contains("\"event\": \""), "\(file.lastPathComponent) writes an event name as a literal")
        }
    }
}
