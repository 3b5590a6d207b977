import Foundation

/// The open file descriptors of a process, read from `/proc/PID/fd`.
struct FileDescriptorTable: CustomStringConvertible {
    /// Descriptor number → link target (`/dev/null`, `pipe:[1234]`, `anon_inode:[eventfd]`…).
    let targets: [Int32: String]

    /// Reads the table of `pid`.
    init(pid: Int32) throws {
        let directory = "/proc/\(pid)/fd"
        var targets: [Int32: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            guard let fd = Int32(name),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")
            else { continue }
            targets[fd] = target
        }
        self.targets = targets
    }

    /// The `key: value` lines of `/proc/PID/fdinfo/FD` (empty if unreadable).
    static func fdinfo(pid: Int32, fd: Int32) -> [String: String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else { return [:] }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    var description: String {
        targets.sorted { $0.key < $1.key }.map { "\($0.key) -> \($0.value)" }.joined(separator: ", ")
    }
}
