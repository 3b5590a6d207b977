import Glibc
import SystemPackage
import Testing
@testable import Cotyledon

/// The system-call funnel's rules: `EINTR` retried, would-block returned as a value,
/// every other failure thrown as its `Errno`.
@Suite struct SyscallTests {
    @Test func aCallInterruptedBySignalIsMadeAgain() throws {
        var calls = 0
        let result = try Syscall.retrying { () -> Int32 in
            calls += 1
            guard calls > 1 else {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7)
        #expect(calls == 2)
    }

    @Test func anyOtherFailureIsThrownAsItsErrno() {
        #expect(throws: Errno.badFileDescriptor) {
            try Syscall.retrying { () -> Int32 in
                errno = EBADF
                return -1
            }
        }
    }

    @Test func wouldBlockIsReturnedAsNil() throws {
        let value = try Syscall.unlessWouldBlock { () throws(Errno) -> Int in throw .wouldBlock }
        #expect(value == nil)
    }

    @Test func aValueIsReturnedAsIs() throws {
        let value = try Syscall.unlessWouldBlock { () throws(Errno) -> Int in 3 }
        #expect(value == 3)
    }

    @Test func failuresOtherThanWouldBlockAreStillThrown() {
        #expect(throws: Errno.connectionReset) {
            try Syscall.unlessWouldBlock { () throws(Errno) -> Int in throw .connectionReset }
        }
    }

    @Test func anEmptySocketReceivesNilAndAClosedPeerZero() throws {
        var pair: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
        let (near, far) = (FileDescriptor(rawValue: pair[0]), FileDescriptor(rawValue: pair[1]))
        defer { Syscall.close(near) }
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try Syscall.receive(near, into: &buffer) == nil)
        let sent = try [UInt8]("hi".utf8).withUnsafeBytes { bytes in try Syscall.send(far, bytes) }
        #expect(sent == 2)
        #expect(try Syscall.receive(near, into: &buffer) == 2)
        Syscall.close(far)
        #expect(try Syscall.receive(near, into: &buffer) == 0)
    }

    @Test func aSymbolicLinkTargetIsRead() throws {
        #expect(try Syscall.linkTarget("/proc/self", maximumLength: 31) == String(getpid()))
    }

    @Test func aMissingPathIsThrownAsItsErrno() {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try Syscall.linkStatus("/nonexistent-\(getpid())")
        }
    }
}
