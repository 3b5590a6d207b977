import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One open descriptor of a live process, from `/proc/PID/fd` and `/proc/PID/fdinfo`: what
/// it refers to (device and inode, the same in every process holding the file, pipe or
/// socket) and how it was opened (the read end and the write end of a pipe share an inode).
struct OpenDescriptor: CustomStringConvertible {
    let fd: Int32
    /// The link target: `pipe:[1234]`, `socket:[5678]`, `/memfd:name (deleted)`…
    let target: String
    /// `device:inode` of the open file.
    let identity: String
    /// `O_RDONLY`, `O_WRONLY` or `O_RDWR`, from the `flags` of `fdinfo`.
    let access: Int32

    /// Whether the kernel gives every file of its kind the same inode (`anon_inode:[eventfd]`,
    /// `anon_inode:[eventpoll]`…), so that its identity says nothing.
    var isAnonymous: Bool { target.hasPrefix("anon_inode:") }

    var description: String {
        "\(fd) -> \(target) (\(access == O_RDONLY ? "read" : access == O_WRONLY ? "write" : "read-write"))"
    }

    /// The descriptors `pid` holds now, by number; those that closed while being read are left out.
    /// - Throws: ``DriverError`` when the process cannot be read (it is gone).
    static func all(of pid: Int32) throws -> [OpenDescriptor] {
        let table = try FileDescriptorTable(pid: pid)
        return table.targets.sorted { $0.key < $1.key }.compactMap { fd, target in
            var status = stat()
            guard stat("/proc/\(pid)/fd/\(fd)", &status) == 0,
                  let flags = FileDescriptorTable.fdinfo(pid: pid, fd: fd)["flags"].flatMap({ Int32($0, radix: 8) })
            else { return nil }
            return OpenDescriptor(fd: fd, target: target, identity: "\(status.st_dev):\(status.st_ino)", access: flags & O_ACCMODE)
        }
    }
}
