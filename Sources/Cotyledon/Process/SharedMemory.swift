import SystemPackage

/// Memory the master shares with its workers, backed by a memory file: every fork maps the
/// same pages, and so does the master's next image after an in-place upgrade, which finds
/// them through the descriptor (``adopt(descriptor:size:)``).
struct SharedMemory {
    /// The memory file (close-on-exec, except across an upgrade's `execve`).
    let descriptor: FileDescriptor
    /// The mapping, `size` bytes.
    let base: UnsafeMutableRawPointer
    /// Its size in bytes.
    let size: Int

    /// Creates a zeroed memory file of `size` bytes named `name` and maps it.
    static func create(name: String, size: Int) throws(Errno) -> SharedMemory {
        let descriptor = try Syscall.createMemoryFile(name)
        do {
            try Syscall.truncate(descriptor, size: size)
            return SharedMemory(descriptor: descriptor, base: try Syscall.mapShared(descriptor, size: size), size: size)
        } catch {
            Syscall.close(descriptor)
            throw error
        }
    }

    /// Maps the memory file `descriptor` of at least `size` bytes, handed over by the
    /// master's previous image.
    static func adopt(descriptor: FileDescriptor, size: Int) throws(Errno) -> SharedMemory {
        let status = try Syscall.status(of: descriptor.rawValue)
        guard Int(status.st_size) >= size else { throw .invalidArgument }
        return SharedMemory(descriptor: descriptor, base: try Syscall.mapShared(descriptor, size: size), size: size)
    }
}
