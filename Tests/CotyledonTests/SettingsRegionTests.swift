import Testing
@testable import Cotyledon

/// The shared region's generation protocol, in one process: what the master publishes is
/// what a worker reads, a write under way is never read, and a worker takes a snapshot once.
@Suite
struct SettingsRegionTests {
    /// Settings without a manager part of their own (the default), as a daemon's type would embed it.
    struct BlobSettings: DaemonSettings, Equatable {
        var blob: String
        var manager: ManagerConfiguration { ManagerConfiguration() }
    }

    @Test("each publication gets a newer even generation, and is read back whole")
    func publishAndRead() throws {
        let region = try SettingsRegion(capacity: 64)
        #expect(region.generation == 0)
        let first = region.publish([1, 2, 3])
        let second = region.publish([4, 5])
        #expect(first == 2 && second == 4)
        let read = try #require(region.read())
        #expect(read.generation == 4 && read.bytes == [4, 5])
    }

    @Test("a write under way (odd generation) is never read: the reader gives up after its bounded attempts")
    func writeUnderWay() throws {
        let region = try SettingsRegion(capacity: 64)
        region.publish([1])
        region.header.pointee += 1
        #expect(region.read() == nil)
        region.header.pointee += 1
        #expect(region.read()?.bytes == [1])
    }

    @Test("a snapshot larger than the region fails before anything is published")
    func oversizedSnapshot() throws {
        #expect(throws: SettingsSnapshotError.self) { try SettingsSnapshot(BlobSettings(blob: String(repeating: "x", count: 100)), capacity: 64) }
        let snapshot = try SettingsSnapshot(BlobSettings(blob: "small"), capacity: 64)
        #expect(snapshot.bytes.count <= 64)
    }

    @Test("a worker takes a newer snapshot once, and keeps its settings when the snapshot does not decode")
    func workerRefresh() throws {
        let region = try SettingsRegion(capacity: 1024)
        region.publish(try SettingsSnapshot(BlobSettings(blob: "a")).bytes)
        var worker = WorkerSettings(value: BlobSettings(blob: "a"), generation: region.generation, type: BlobSettings.self, region: region)
        #expect(try worker.refresh() == false)
        region.publish(try SettingsSnapshot(BlobSettings(blob: "b")).bytes)
        #expect(try worker.refresh() == true)
        #expect(worker.value as? BlobSettings == BlobSettings(blob: "b"))
        #expect(try worker.refresh() == false)
        region.publish([0xFF])
        #expect(throws: SettingsSnapshotError.self) { try worker.refresh() }
        #expect(worker.value as? BlobSettings == BlobSettings(blob: "b"))
    }
}
