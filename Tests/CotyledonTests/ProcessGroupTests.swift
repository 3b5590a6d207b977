import Glibc
import Testing
@testable import Cotyledon

/// What the master finds left in the process groups of workers it reaped, from one look at
/// `/proc`, and how it reads its children list.
@Suite struct ProcessGroupTests {
    /// The master (pid 100, session 1) and what `/proc` shows around it.
    private static let master: pid_t = 100
    private static let session: pid_t = 1

    private static func process(_ pid: pid_t, parent: pid_t, group: pid_t, session: pid_t = session) -> ProcessStat {
        ProcessStat(pid: pid, parent: parent, processGroup: group, session: session)
    }

    /// Two dead workers' groups from one scan: an adopted shell and its child in the first,
    /// nothing in the second; a live worker's group and unrelated processes are not counted.
    @Test func theGroupsOfABatchAreCountedFromOneScan() {
        let processes = [
            Self.process(Self.master, parent: 1, group: Self.master),
            Self.process(300, parent: Self.master, group: 201),   // adopted shell of dead worker 201
            Self.process(301, parent: 300, group: 201),           // its child
            Self.process(210, parent: Self.master, group: 210),   // a live worker
            Self.process(211, parent: 210, group: 210),           // its child
            Self.process(500, parent: 1, group: 201),             // not the master's descendant
        ]
        let left = ProcessGroup.leftovers(of: [201, 202, 210], among: processes, caller: Self.master, session: Self.session)
        #expect(left.mapValues { $0.map(\.pid) } == [201: [300, 301]])
    }

    /// A process that left with setsid is in another session: not a leftover.
    @Test func aProcessInAnotherSessionIsNotALeftover() {
        let processes = [
            Self.process(300, parent: Self.master, group: 201, session: 300),
        ]
        #expect(ProcessGroup.leftovers(of: [201], among: processes, caller: Self.master, session: Self.session).isEmpty)
    }

    /// A process whose pid is the group's id means the id was reused: the old group is gone.
    @Test func aReusedGroupIdHasNoLeftovers() {
        let processes = [
            Self.process(201, parent: Self.master, group: 201),
            Self.process(300, parent: Self.master, group: 201),
        ]
        #expect(ProcessGroup.leftovers(of: [201], among: processes, caller: Self.master, session: Self.session).isEmpty)
    }

    /// `/proc/PID/task/TID/children` as the kernel writes it: pids separated by spaces,
    /// one after the last; nothing for no children; a number too large for a pid is left out.
    @Test func theChildrenListIsReadAsPids() {
        #expect(ProcFile.pids(in: Array("12 345 6789 ".utf8)) == [12, 345, 6789])
        #expect(ProcFile.pids(in: Array("7".utf8)) == [7])
        #expect(ProcFile.pids(in: []).isEmpty)
        #expect(ProcFile.pids(in: Array("1 99999999999 3 ".utf8)) == [1, 3])
    }

    /// The file the master reads at every batch of exits exists for this thread and holds pids.
    @Test func theChildrenListOfThisThreadIsReadable() throws {
        let bytes = try #require(ProcFile.bytes("/proc/thread-self/children"))
        #expect(ProcFile.pids(in: bytes).allSatisfy { $0 > 0 })
    }
}
