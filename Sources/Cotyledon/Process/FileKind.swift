import Glibc

/// What a descriptor or path is, from the file-type bits of its `stat` mode: the master
/// opens or hands on only what it checked (a configuration file must be a regular file, a
/// listener a socket) and names anything else in its messages.
package enum FileKind: Equatable {
    case regularFile
    case directory
    case namedPipe
    case characterDevice
    case blockDevice
    case socket
    case symbolicLink
    /// A file type Linux does not define, with its mode bits.
    case other(mode_t)

    /// The kind of file whose `st_mode` is `mode`.
    package init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regularFile
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .namedPipe
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        case S_IFLNK: self = .symbolicLink
        default: self = .other(mode & S_IFMT)
        }
    }

    /// The kind of the file open at `descriptor`, `nil` when it is not open.
    init?(of descriptor: Int32) {
        guard let status = try? Syscall.status(of: descriptor) else { return nil }
        self.init(mode: status.st_mode)
    }

    /// A log field's value: `regular-file`, `pipe`, `character-device`…
    var fieldValue: String {
        switch self {
        case .regularFile: "regular-file"
        case .directory: "directory"
        case .namedPipe: "pipe"
        case .characterDevice: "character-device"
        case .blockDevice: "block-device"
        case .socket: "socket"
        case .symbolicLink: "symbolic-link"
        case .other(let mode): "file-of-type-\(String(mode, radix: 8))"
        }
    }

    /// The kind in a sentence: "a named pipe (FIFO)", "a directory"…
    package var phrase: String {
        switch self {
        case .regularFile: "a regular file"
        case .directory: "a directory"
        case .namedPipe: "a named pipe (FIFO)"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .symbolicLink: "a symbolic link"
        case .other: "a special file"
        }
    }
}
