import CCotyledonLinux
import Glibc
import SystemPackage

/// Memory files (`memfd_create`), their seals and shared mappings: the upgrade's state
/// record and the shared memory that crosses an in-place upgrade.
extension Syscall {
    /// A memory file (`memfd_create`, close-on-exec, sealable) named `name`.
    static func createMemoryFile(_ name: String) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { ccotyledon_memfd_create(name) })
    }

    /// Seals a memory file: its size and contents never change again.
    static func sealMemoryFile(_ fd: FileDescriptor) throws(Errno) {
        try retrying { ccotyledon_memfd_seal_all(fd.rawValue) }
    }

    /// The seals of a memory file (`F_SEAL_*` bits).
    static func seals(of fd: FileDescriptor) throws(Errno) -> Int32 {
        try retrying { ccotyledon_memfd_seals(fd.rawValue) }
    }

    /// `ftruncate(fd, size)`.
    static func truncate(_ fd: FileDescriptor, size: Int) throws(Errno) {
        try retrying { ftruncate(fd.rawValue, off_t(size)) }
    }

    /// `pread` from `offset`; returns the count read, 0 at end of file.
    static func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) -> Int {
        try retrying { pread(fd.rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// `mmap` of `size` bytes of `fd` shared with every process that maps it (read and write).
    static func mapShared(_ fd: FileDescriptor, size: Int) throws(Errno) -> UnsafeMutableRawPointer {
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, 0), memory != MAP_FAILED else {
            throw Errno(rawValue: errno)
        }
        return memory
    }

    /// `madvise(MADV_DONTNEED)` on `length` bytes from `address`: the process stops mapping
    /// those pages. Only for pages that are the file's own (a private file mapping's pages
    /// never written): they read back the same from the page cache or the file.
    static func unmapFilePages(at address: UInt, length: Int) throws(Errno) {
        try retrying { madvise(UnsafeMutableRawPointer(bitPattern: address), length, MADV_DONTNEED) }
    }
}
