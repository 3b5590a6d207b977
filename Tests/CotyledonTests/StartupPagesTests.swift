import Glibc
import Testing
@testable import Cotyledon

@Suite struct StartupPagesTests {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// A file of `pages` pages, each filled with its index, mapped privately with `protection`.
    static func mappedFile(pages: Int, protection: Int32) throws -> (base: UnsafeMutableRawPointer, length: Int) {
        var template = Array("/tmp/cotyledon-startup-pages-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer { close(fd); unlink(template) }
        for page in 0..<pages {
            let bytes = [UInt8](repeating: UInt8(page + 1), count: pageSize)
            try #require(write(fd, bytes, bytes.count) == bytes.count)
        }
        let length = pages * pageSize
        let base = try #require(mmap(nil, length, protection, MAP_PRIVATE, fd, 0))
        try #require(base != MAP_FAILED)
        return (base, length)
    }

    /// `/proc/self/pagemap`'s present bit of the page at `address`.
    static func isMapped(_ address: UnsafeRawPointer) throws -> Bool {
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var entry: UInt64 = 0
        try #require(pread(fd, &entry, 8, off_t(UInt(bitPattern: address) / UInt(pageSize) * 8)) == 8)
        return entry >> 63 == 1
    }

    /// Reads every page of the mapping; returns the first byte of each.
    static func touch(_ base: UnsafeMutableRawPointer, pages: Int) -> [UInt8] {
        (0..<pages).map { base.load(fromByteOffset: $0 * pageSize, as: UInt8.self) }
    }

    @Test("a read-only file page only this process maps is unmapped, and reads back the same")
    func unmapsExclusiveFilePages() throws {
        let (base, length) = try Self.mappedFile(pages: 4, protection: PROT_READ)
        defer { munmap(base, length) }
        #expect(Self.touch(base, pages: 4) == [1, 2, 3, 4])
        #expect(try Self.isMapped(base))

        #expect(StartupPages.release() >= length)

        #expect(try !Self.isMapped(base))
        #expect(try !Self.isMapped(base + 3 * Self.pageSize))
        #expect(Self.touch(base, pages: 4) == [1, 2, 3, 4])
    }

    @Test("a page written before its mapping became read-only (a relocated page) keeps what was written")
    func keepsWrittenPages() throws {
        let (base, length) = try Self.mappedFile(pages: 3, protection: PROT_READ | PROT_WRITE)
        defer { munmap(base, length) }
        base.storeBytes(of: 0xAB, toByteOffset: Self.pageSize, as: UInt8.self)
        #expect(Self.touch(base, pages: 3) == [1, 0xAB, 3])
        try #require(mprotect(base, length, PROT_READ) == 0)

        StartupPages.release()

        #expect(try Self.isMapped(base + Self.pageSize))
        #expect(try !Self.isMapped(base))
        #expect(Self.touch(base, pages: 3) == [1, 0xAB, 3])
    }

    @Test("only private read-only mappings of files are candidates")
    func candidates() {
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 r-xp 00001000 fd:00 1234   /usr/lib/libc.so.6")
            == 0x7f00_0000_1000..<0x7f00_0000_3000)
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 r--p 00000000 fd:00 1234   /opt/a b/lib.so (deleted)") != nil)
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 rw-p 00000000 fd:00 1234   /usr/lib/libc.so.6") == nil)
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 r--s 00000000 00:01 99     /memfd:cotyledon-heartbeats") == nil)
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 r--p 00000000 00:01 99     /memfd:x") == nil)
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 r--p 00000000 00:00 0      [vvar]") == nil)
        #expect(StartupPages.readOnlyFileMapping("7f0000001000-7f0000003000 r--p 00000000 00:00 0") == nil)
    }
}
