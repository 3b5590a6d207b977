import Glibc
import Testing
@testable import Cotyledon

/// What the master finds left in the process groups of dead workers, and how it reads its
/// children list.
@Suite struct ProcessGroupTests {
    /// The master (pid 100, session 1) and what `/proc` shows around it.
    private static let master: pid_t = 100
    private static let session: pid_t = 1

    private static func process(_ pid: pid_t, parent: pid_t, group: pid_t, session: pid_t = session) -> ProcessStat {
        ProcessStat(pid: pid, parent: parent, processGroup: group, session: session)
    }

    /// A dead worker's group: the adopted shell and its child are left; a live worker's
    /// child and a process that does not descend from the master are not.
    @Test func aDeadWorkersGroupKeepsWhatDescendsFromTheMaster() {
        let processes = [
            Self.process(Self.master, parent: 1, group: Self.master),
            Self.process(300, parent: Self.master, group: 201),   // adopted shell of dead worker 201
            Self.process(301, parent: 300, group: 201),           // its child
            Self.process(210, parent: Self.master, group: 210),   // a live worker
            Self.process(211, parent: 210, group: 210),           // its child
            Self.process(500, parent: 1, group: 201),             // not the master's descendant
        ]
        #expect(ProcessGroup.leftovers(of: 201, among: processes, caller: Self.master, session: Self.session).map(\.pid) == [300, 301])
        #expect(ProcessGroup.leftovers(of: 202, among: processes, caller: Self.master, session: Self.session).isEmpty)
        #expect(ProcessGroup.leftovers(of: 210, among: processes, caller: Self.master, session: Self.session).isEmpty, "a live worker's group")
    }

    /// A process that left with setsid is in another session: not a leftover.
    @Test func aProcessInAnotherSessionIsNotALeftover() {
        let processes = [
            Self.process(300, parent: Self.master, group: 201, session: 300),
        ]
        #expect(ProcessGroup.leftovers(of: 201, among: processes, caller: Self.master, session: Self.session).isEmpty)
    }

    /// A process whose pid is the group's id means the id was reused: the old group is gone.
    @Test func aReusedGroupIdHasNoLeftovers() {
        let processes = [
            Self.process(201, parent: Self.master, group: 201),
            Self.process(300, parent: Self.master, group: 201),
        ]
        #expect(ProcessGroup.leftovers(of: 201, among: processes, caller: Self.master, session: Self.session).isEmpty)
    }

    /// A census counts a dying worker's group (its zombie, the leader, left out) from one
    /// list, whoever the members' parents are.
    @Test func aCensusCountsTheGroupBesidesItsLeader() {
        let processes = [
            Self.process(201, parent: Self.master, group: 201),   // the zombie worker
            Self.process(300, parent: Self.master, group: 201),
            Self.process(301, parent: 300, group: 201),
            Self.process(302, parent: 300, group: 302),           // left the group
        ]
        #expect(GroupCensus.members(ofGroup: 201, among: processes) == 2)
        #expect(GroupCensus.members(ofGroup: 202, among: processes) == 0)
    }

    /// With no adopted process the census does not scan `/proc`: nothing can be left.
    @Test func aCensusWithoutAdoptedProcessesCountsNothing() {
        var census = GroupCensus()
        var reads = 0
        #expect(census.membersBesidesLeader(201) { reads += 1; return [] } == 0)
        #expect(census.membersBesidesLeader(202) { reads += 1; return [] } == 0)
        #expect(reads == 1, "one children list for the batch")
        census.invalidate()
        _ = census.membersBesidesLeader(203) { reads += 1; return [] }
        #expect(reads == 2, "read again once a child exited since")
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
