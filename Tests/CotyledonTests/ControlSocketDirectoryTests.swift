import CotyledonControlProtocol
import Glibc
import Testing

/// Which control socket directories the daemon and `cotyledonctl` trust.
@Suite struct ControlSocketDirectoryTests {
    private static let directory = UInt32(S_IFDIR)
    private static let link = UInt32(S_IFLNK)
    private static let user: UInt32 = 1000

    private static func judge(
        _ mode: UInt32, owner: UInt32, target: ControlSocketDirectory.FileFacts? = nil, euid: UInt32 = user,
        everyOwner: Bool = false
    ) -> ControlSocketDirectory.Verdict {
        ControlSocketDirectory.judge("/tmp/d", entry: .init(mode: mode, owner: owner), target: target, euid: euid,
                                     trustsEveryOwner: everyOwner)
    }

    @Test func aPrivateDirectoryOfTheUserOrRootIsTrusted() {
        #expect(Self.judge(Self.directory | 0o700, owner: Self.user) == .trusted)
        #expect(Self.judge(Self.directory | 0o755, owner: 0) == .trusted)
    }

    @Test func aDirectoryOthersCanWriteToIsRefused() {
        guard case .untrusted(let reason) = Self.judge(Self.directory | 0o777, owner: Self.user) else {
            Issue.record("trusted")
            return
        }
        #expect(reason.contains("/tmp/d") && reason.contains("0777"), "\(reason)")
        #expect(Self.judge(Self.directory | 0o770, owner: Self.user) != .trusted)
    }

    @Test func aDirectoryOfAnotherUserIsRefusedUnlessRootAsksForIt() {
        guard case .untrusted(let reason) = Self.judge(Self.directory | 0o700, owner: 1001) else {
            Issue.record("trusted")
            return
        }
        #expect(reason.contains("uid 1001"), "\(reason)")
        #expect(Self.judge(Self.directory | 0o700, owner: 1001, euid: 0) != .trusted, "the daemon as root")
        #expect(Self.judge(Self.directory | 0o700, owner: 1001, euid: 0, everyOwner: true) == .trusted, "cotyledonctl as root")
    }

    @Test func aStickySharedDirectoryIsShared() {
        #expect(Self.judge(Self.directory | 0o1777, owner: 0) == .shared)
    }

    @Test func aSymbolicLinkIsFollowedOnlyWhenATrustedUserOwnsIt() {
        let target = ControlSocketDirectory.FileFacts(mode: Self.directory | 0o755, owner: 0)
        #expect(Self.judge(Self.link | 0o777, owner: 0, target: target) == .trusted)
        #expect(Self.judge(Self.link | 0o777, owner: 1001, target: target) != .trusted)
        #expect(Self.judge(Self.link | 0o777, owner: Self.user, target: nil) != .trusted, "dangling")
    }

    @Test func aFileIsNotADirectory() {
        #expect(Self.judge(UInt32(S_IFREG) | 0o600, owner: Self.user) != .trusted)
    }

    @Test func theContainingDirectory() {
        #expect(ControlSocketDirectory.containing("/run/x/control.sock") == "/run/x")
        #expect(ControlSocketDirectory.containing("/control.sock") == "/")
        #expect(ControlSocketDirectory.containing("control.sock") == ".")
    }
}
