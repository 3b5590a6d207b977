import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonSuite.DriverSelfTests {
    @Test("a spawn hands the process the test's descriptors as 3, 4, … and nothing more; the driver keeps no copy",
          .timeLimit(.minutes(1)))
    func passesDescriptors() throws {
        let first = try ListeningSocket()
        let second = try ListeningSocket()
        defer {
            first.close()
            second.close()
        }
        let driver = try Driver()
        defer { driver.close() }
        // Listed in the reverse order of their numbers here: each must land where it is asked to.
        let shell = try driver.spawn(
            path: "/bin/sh", argv: ["sh", "-c", "readlink /proc/$$/fd/3 /proc/$$/fd/4; ls /proc/$$/fd"],
            descriptors: [second.descriptor, first.descriptor])
        #expect(try shell.waitForExit().status == .exited(0), "\(shell.tail)")
        let lines = shell.text(of: "stdout").split(separator: "\n").map(String.init)
        let expected = try [second.descriptor, first.descriptor].map { try Self.target(of: $0) }
        #expect(Array(lines.prefix(2)) == expected, "fd 3 and 4 are the sockets passed, in order: \(lines)")
        // A shell keeps its own descriptors at 10 and above.
        let low = lines.dropFirst(2).compactMap { Int32($0) }.filter { $0 < 10 }
        #expect(low == [0, 1, 2, 3, 4], "the shell got no other descriptor: \(lines)")
        let driverTable = try FileDescriptorTable(pid: driver.driverPid)
        #expect(!driverTable.targets.values.contains { expected.contains($0) }, "the driver closed its copies: \(driverTable)")
        try driver.expectCleanEnd()
    }

    /// What `/proc/self/fd/fd` points at, e.g. `socket:[1234]`.
    private static func target(of fd: Int32) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }
}
