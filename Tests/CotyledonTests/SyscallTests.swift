import Foundation
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

/// The funnel is the only way in: no other file of the library reads `errno` or makes a
/// socket or `epoll` call of its own.
@Suite struct SyscallFunnelTests {
    /// Calls that only `Process/Syscall*.swift` may make, as written at a call site.
    static let funnelledCalls = ["socket(", "bind(", "listen(", "accept4(", "connect(", "sendto(", "sendmsg(",
                                 "recv(", "recvfrom(", "setsockopt(", "getsockopt(", "epoll_ctl(", "epoll_wait("]

    /// The library's source files outside the funnel, with their code lines (comments dropped).
    static func codeOutsideTheFunnel() throws -> [(file: String, lines: [Substring])] {
        let files = try #require(FileManager.default.enumerator(at: LogEventNameTests.sourceDirectory, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" && !$0.lastPathComponent.hasPrefix("Syscall") }
        return try files.map { file in
            let text = try String(contentsOf: file, encoding: .utf8)
            let code = text.split(separator: "\n").map { line in
                line.range(of: "//").map { line[..<$0.lowerBound] } ?? line
            }
            return (file.lastPathComponent, code)
        }
    }

    @Test("no file outside Process/Syscall*.swift reads errno")
    func noErrnoOutsideTheFunnel() throws {
        let sources = try Self.codeOutsideTheFunnel()
        #expect(sources.count > 20, "the sources were not found at \(LogEventNameTests.sourceDirectory.path)")
        for (file, lines) in sources {
            for line in lines {
                // `errno:` labels an associated value holding an `Errno`, not the C variable.
                let mentions = line.ranges(of: "errno").filter { line[$0.upperBound...].first != ":" }
                #expect(mentions.isEmpty, "\(file) reads errno: \(line)")
            }
        }
    }

    @Test("no file outside Process/Syscall*.swift makes a socket or epoll call")
    func noSocketCallOutsideTheFunnel() throws {
        for (file, lines) in try Self.codeOutsideTheFunnel() {
            for line in lines {
                for call in Self.funnelledCalls {
                    // `Syscall.accept4(` or a method named `connect(` of our own is not the C call.
                    let bare = line.ranges(of: call).filter { range in
                        range.lowerBound == line.startIndex || !(line[line.index(before: range.lowerBound)].isLetter
                            || line[line.index(before: range.lowerBound)] == "." || line[line.index(before: range.lowerBound)] == "_")
                    }
                    #expect(bare.isEmpty || line.contains("func "), "\(file) calls \(call) itself: \(line)")
                }
            }
        }
    }
}
