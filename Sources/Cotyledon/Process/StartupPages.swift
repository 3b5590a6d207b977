import Glibc
import SystemPackage

/// Pages of files the master mapped while it started and no other process maps, released
/// once the start is over (and again after each reload).
///
/// Starting reads much that the master never reads again: the dynamic loader's symbol and
/// relocation tables of every library (hundreds of kilobytes for libswiftCore and
/// FoundationEssentials, a megabyte of relocations in an executable linked with the
/// static Swift runtime), and the code of argument parsing, configuration and validation.
/// Those pages stay mapped, and counted in the master's memory (its USS and PSS), for as
/// long as it runs; workers do not map them (a fork copies no page-table entry of a file
/// mapping).
///
/// ``release()`` unmaps (`MADV_DONTNEED`) each page of a read-only private file mapping
/// that is the file's own (never written, so never copied) and mapped by this process
/// alone (`/proc/self/pagemap`). The pages stay in the page cache; what the master runs
/// later is faulted back in from there. Pages a worker or any other process maps are
/// kept, so the master's share of them does not move to the others.
enum StartupPages {
    /// `/proc/self/pagemap` bits: page present, exclusively mapped, file page.
    private static let present: UInt64 = 1 << 63
    private static let exclusive: UInt64 = 1 << 56
    private static let filePage: UInt64 = 1 << 61

    /// Unmaps this process's exclusive pages of read-only private file mappings; returns
    /// how many bytes it unmapped (0 when `/proc` cannot be read).
    @discardableResult
    static func release() -> Int {
        guard let maps = ProcFile.read("/proc/self/maps"),
              let pagemap = try? FileDescriptor(rawValue: Syscall.open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC))
        else { return 0 }
        defer { Syscall.close(pagemap) }
        let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
        var released = 0
        for line in maps.split(separator: "\n") {
            guard let range = readOnlyFileMapping(line) else { continue }
            released += release(range, pageSize: pageSize, pagemap: pagemap)
        }
        return released
    }

    /// The address range of a `/proc/self/maps` line that maps a file privately and
    /// read-only (`r-xp`, `r--p`), `nil` for any other.
    static func readOnlyFileMapping(_ line: Substring) -> Range<UInt>? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count == 6, fields[1] == "r-xp" || fields[1] == "r--p" else { return nil }
        let path = fields[5].drop(while: { $0 == " " })
        guard path.hasPrefix("/"), !path.hasPrefix("/memfd:") else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), start < end else { return nil }
        return start..<end
    }

    /// Unmaps the exclusive file pages of `range`, run by run; returns the bytes unmapped.
    private static func release(_ range: Range<UInt>, pageSize: UInt, pagemap: FileDescriptor) -> Int {
        let wanted = present | exclusive | filePage
        var released = 0
        var runStart: UInt?
        func endRun(at address: UInt) {
            guard let start = runStart else { return }
            runStart = nil
            let length = Int(address - start)
            if (try? Syscall.unmapFilePages(at: start, length: length)) != nil { released += length }
        }
        var entries = [UInt64](repeating: 0, count: 512)
        var page = range.lowerBound
        while page < range.upperBound {
            let count = min(entries.count, Int((range.upperBound - page) / pageSize))
            let bytes = entries.withUnsafeMutableBytes { buffer in
                try? Syscall.read(pagemap, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count * 8]),
                                  at: Int(page / pageSize) * 8)
            }
            guard let bytes, bytes > 0 else { break }
            for index in 0..<(bytes / 8) {
                let address = page + UInt(index) * pageSize
                if entries[index] & wanted == wanted {
                    if runStart == nil { runStart = address }
                } else {
                    endRun(at: address)
                }
            }
            page += UInt(bytes / 8) * pageSize
        }
        endRun(at: page)
        return released
    }
}
