import Foundation
import Glibc
import SystemPackage
import Testing
@testable import Cotyledon

/// The record an in-place upgrade hands the master's new image: its text, what a new image
/// refuses, and the sealed memory file that carries it.
@Suite struct UpgradeStateTests {
    static let sample = UpgradeState(
        build: "1.0.0 (build 3f2a9c1b7d4e)", masterStartedAt: 9_123_456_789_012_345_678, arguments: ["/opt/d/bin/d", "--config", "/etc/d.yaml"],
        descriptorLimit: (1024, 524_288), masterAlive: .init(readEnd: 7, writeEnd: 8), heartbeatBoard: 9, logLevel: 10,
        reloadQueued: true, control: .init(listener: 11, path: "/run/d/control.sock", device: 2049, inode: 77),
        waitingClients: [.init(descriptor: 12, awaiting: .upgrade), .init(descriptor: 16, awaiting: .reload)],
        listeners: [
            .init(name: "http", descriptor: 3, origin: .systemd, address: "", backlog: 0, mode: nil, bound: "", device: 0, inode: 0, stored: false),
            .init(name: "admin", descriptor: 5, origin: .declared, address: "unix:/run/d/admin.sock", backlog: 64, mode: 0o660,
                  bound: "unix:/run/d/admin.sock", device: 2049, inode: 18_446_744_073_709_551_000, stored: true),
        ],
        services: [.init(name: "web", restarts: 3, gracefulShutdownTimeout: .seconds(30), slots: [
            .init(workerID: 0, restarts: 1, earlyFailures: 0, lastExit: "killed:SIGKILL", hasStarted: true),
            .init(workerID: 1, restarts: 2, earlyFailures: 1, lastExit: nil, hasStarted: true),
        ])],
        workers: [
            .init(service: "web", workerID: 0, pid: 4321, messages: 14, ready: true, startedAt: 8_000_000_000_000_000_001,
                  heartbeatSlot: 0, stopping: nil, replacement: false, build: "1.0.0 (build 3f2a9c1b7d4e)",
                  recycleAt: 8_000_000_000_000_000_999, announcedReloadExit: false),
            .init(service: "web", workerID: 1, pid: 4322, messages: 15, ready: false, startedAt: 5,
                  heartbeatSlot: -1, stopping: "scaled-down", replacement: true, build: "0.9.0",
                  recycleAt: nil, announcedReloadExit: true),
        ],
        leftoverGroups: [.init(id: 4000, label: "web worker(1) [pid 4000]")])

    @Test func aRecordReadsBackAsWritten() throws {
        let decoded = try UpgradeState(decoding: Self.sample.encoded())
        #expect(decoded == Self.sample)
        #expect(decoded.masterStartedAt == 9_123_456_789_012_345_678, "nanoseconds beyond a double's precision survive")
        #expect(decoded.listeners[1].inode == 18_446_744_073_709_551_000)
        #expect(decoded.workers[1].stopping == "scaled-down")
        #expect(decoded.control?.path == "/run/d/control.sock")
        #expect(Set(decoded.descriptors) == [7, 8, 9, 10, 11, 12, 16, 3, 5, 14, 15], "every descriptor that crosses, none of -1")
        #expect(decoded.waitingClients.map(\.awaiting) == [.upgrade, .reload], "the reload's waiters cross too")
        #expect(decoded.control?.inode == 77)
        #expect(decoded.workers[0].recycleAt == 8_000_000_000_000_000_999 && decoded.workers[1].recycleAt == nil)
        #expect(!decoded.workers[0].announcedReloadExit && decoded.workers[1].announcedReloadExit)
    }

    /// Older builds wrote a pidfd per worker: such a record is read, the pidfd named for the
    /// new image to close; a record written now names none.
    @Test func aWorkersPidfdIsReadFromOlderRecordsAndNeverWritten() throws {
        let text = String(decoding: Self.sample.encoded(), as: UTF8.self)
        #expect(!text.contains("pidfd"), "no pidfd written: \(text)")
        let older = text.replacingOccurrences(of: "\"messages\":14", with: "\"pidfd\":13,\"messages\":14")
        #expect(older != text)
        let decoded = try UpgradeState(decoding: Array(older.utf8))
        #expect(decoded.workers.map(\.pidfd) == [13, -1])
        #expect(Set(decoded.descriptors).isSuperset(of: [13, 14, 15]), "the pidfd crosses the exec, to be closed there")
        let mistyped = text.replacingOccurrences(of: "\"messages\":14", with: "\"pidfd\":1,\"messages\":14")
        #expect(throws: UpgradeStateError("workers[0].pidfd in the upgrade state is not a descriptor number above 2 or -1")) {
            try UpgradeState(decoding: Array(mistyped.utf8))
        }
    }

    @Test func anotherFormatIsRefused() throws {
        var record = Self.sample
        record.format = 2
        #expect(throws: UpgradeStateError("the upgrade state has format 2, this build reads format 1")) {
            try UpgradeState(decoding: record.encoded())
        }
    }

    @Test func textThatIsNotJSONIsRefused() {
        #expect(throws: UpgradeStateError.self) { try UpgradeState(decoding: Array("format=1".utf8)) }
    }

    @Test func aMissingOrMistypedFieldIsNamed() throws {
        let text = String(decoding: Self.sample.encoded(), as: UTF8.self)
        let missing = text.replacingOccurrences(of: "\"masterAlive\"", with: "\"masterAlivf\"")
        #expect(throws: UpgradeStateError("the upgrade state lacks masterAlive")) { try UpgradeState(decoding: Array(missing.utf8)) }
        let nested = text.replacingOccurrences(of: "\"messages\"", with: "\"messagez\"")
        #expect(throws: UpgradeStateError("the upgrade state lacks workers[0].messages")) { try UpgradeState(decoding: Array(nested.utf8)) }
        let mistyped = text.replacingOccurrences(of: "\"reloadQueued\":true", with: "\"reloadQueued\":1")
        #expect(throws: UpgradeStateError("reloadQueued in the upgrade state is not a boolean")) { try UpgradeState(decoding: Array(mistyped.utf8)) }
    }

    @Test func theRecordCrossesInASealedMemoryFile() throws {
        let memory = try UpgradeHandover.write(Self.sample)
        defer { Syscall.close(memory) }
        #expect(try UpgradeHandover.read(memory) == Self.sample)
        let written = Self.sample.encoded().count
        #expect(try Syscall.status(of: memory.rawValue).st_size == written)
        // Sealed: nobody can change it any more.
        #expect(throws: Errno.self) { try Syscall.truncate(memory, size: 0) }
    }

    @Test func anUnsealedMemoryFileIsRefused() throws {
        let memory = try Syscall.createMemoryFile("unsealed")
        defer { Syscall.close(memory) }
        let bytes = Self.sample.encoded()
        #expect(bytes.withUnsafeBytes { write(memory.rawValue, $0.baseAddress, $0.count) } == bytes.count)
        #expect(throws: UpgradeStateError("descriptor \(memory.rawValue) is a memory file that is not sealed against writes")) {
            try UpgradeHandover.read(memory)
        }
    }

    @Test func aDescriptorThatIsNoMemoryFileIsRefused() throws {
        let pipe = try Syscall.pipe()
        defer {
            Syscall.close(pipe.readEnd)
            Syscall.close(pipe.writeEnd)
        }
        #expect(throws: UpgradeStateError.self) { try UpgradeHandover.read(pipe.readEnd) }
        #expect(throws: UpgradeStateError("COTYLEDON_UPGRADE_STATE=x is not a descriptor number above 2")) {
            try UpgradeHandover.read(descriptorText: "x")
        }
        #expect(throws: UpgradeStateError("COTYLEDON_UPGRADE_STATE=0 is not a descriptor number above 2"), "standard input is no record") {
            try UpgradeHandover.read(descriptorText: "0")
        }
    }

    /// A record with numbers out of range is refused with an error (the new image exits 71),
    /// never a crash: a descriptor that overflows 32 bits or is a standard one, a negative
    /// worker id, a pid that would signal the master's own group.
    @Test func numbersOutOfRangeAreRefused() throws {
        let text = String(decoding: Self.sample.encoded(), as: UTF8.self)
        let cases: [(String, String, String)] = [
            ("\"fd\":12}", "\"fd\":4294967308}", "waitingClients[0].fd in the upgrade state is not a descriptor number above 2"),
            ("\"fd\":3,", "\"fd\":1,", "listeners[0].fd in the upgrade state is not a descriptor number above 2"),
            ("\"scaled-down\",\"workerID\":1}", "\"scaled-down\",\"workerID\":-1}", "workers[1].workerID in the upgrade state is not a worker id"),
            ("\"pid\":4321", "\"pid\":0", "workers[0].pid in the upgrade state is not a process id above 1"),
            ("\"read\":7", "\"read\":-1", "masterAlive.read in the upgrade state is not a descriptor number above 2"),
        ]
        for (original, broken, message) in cases {
            #expect(text.contains(original), "the sample has \(original)")
            #expect(throws: UpgradeStateError(message)) {
                try UpgradeState(decoding: Array(text.replacingOccurrences(of: original, with: broken).utf8))
            }
        }
    }

    /// A record naming a descriptor this process does not have open is refused.
    @Test func aClosedDescriptorIsRefused() throws {
        let pipe = try Syscall.pipe()
        defer { Syscall.close(pipe.readEnd) }
        var record = Self.sample
        record.masterAlive = .init(readEnd: pipe.readEnd.rawValue, writeEnd: pipe.writeEnd.rawValue)
        record.heartbeatBoard = -1
        record.logLevel = -1
        record.control = nil
        record.waitingClients = []
        record.listeners = []
        record.workers = []
        try UpgradeHandover.checkDescriptorsAreOpen(record)
        Syscall.close(pipe.writeEnd)
        #expect(throws: UpgradeStateError("the upgrade state names descriptor \(pipe.writeEnd.rawValue), which is not open")) {
            try UpgradeHandover.checkDescriptorsAreOpen(record)
        }
    }
}
