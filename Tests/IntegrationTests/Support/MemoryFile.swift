#if canImport(Glibc)
import Glibc
#endif

/// A memory file (`memfd_create`) of the test process, to hand a daemon as the record of an
/// in-place upgrade. Glibc's module does not export `memfd_create`: it is looked up by name.
enum MemoryFile {
    private typealias Create = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32

    /// `F_ADD_SEALS`, and the seals an upgrade's record carries: seal, shrink, grow, write.
    private static let addSeals: Int32 = 1033
    private static let allSeals: Int32 = 0x1 | 0x2 | 0x4 | 0x8

    /// A new close-on-exec memory file named `name` holding `bytes`, sealed against any
    /// change if `sealed`; the caller closes it.
    /// - Throws: ``DriverError`` naming the call that failed.
    static func create(_ name: String, holding bytes: [UInt8], sealed: Bool) throws -> Int32 {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else {
            throw DriverError("memfd_create is not in this C library")
        }
        // MFD_CLOEXEC | MFD_ALLOW_SEALING
        let fd = unsafeBitCast(symbol, to: Create.self)(name, 0x1 | 0x2)
        guard fd >= 0 else { throw DriverError("memfd_create: \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, !sealed || fcntl(fd, addSeals, allSeals) == 0 else {
            let error = String(cString: strerror(errno))
            close(fd)
            throw DriverError("preparing the memory file \(name): \(error)")
        }
        return fd
    }
}
