import Glibc

/// Reads the command socket (the driver's stdin, one end of a Unix socket pair) with
/// `recvmsg`, so that descriptors the test process sends along with a command
/// (`SCM_RIGHTS`) arrive with its bytes; `spawn` hands them to the process it starts.
enum CommandReader {
    /// What one read brought.
    struct Chunk {
        /// The bytes; empty at end of file.
        var bytes: [UInt8] = []
        /// Descriptors received with them, in order, close-on-exec.
        var descriptors: [Int32] = []
        /// Descriptors were sent that did not fit (`MSG_CTRUNC`): the kernel closed them.
        var truncated = false
    }

    /// The most descriptors one command carries.
    static let maximumDescriptors = 16

    /// `sizeof(struct cmsghdr)` on the 64-bit Linux ABIs, where the data follows the header
    /// at this offset (`CMSG_DATA`).
    private static let headerSize = MemoryLayout<cmsghdr>.size

    /// One `recvmsg` on `fd`.
    /// - Returns: the chunk, or `nil` with `errno` set when the call failed.
    static func read(_ fd: Int32) -> Chunk? {
        var bytes = [UInt8](repeating: 0, count: 65536)
        let controlSize = headerSize + maximumDescriptors * MemoryLayout<Int32>.size
        var control = [UInt8](repeating: 0, count: controlSize)
        var flags: Int32 = 0
        var controlLength = 0
        let count = bytes.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let received = recvmsg(fd, &message, Int32(MSG_CMSG_CLOEXEC))
                    flags = message.msg_flags
                    controlLength = message.msg_controllen
                    return received
                }
            }
        }
        guard count >= 0 else { return nil }
        var chunk = Chunk(bytes: Array(bytes[0..<count]), truncated: flags & Int32(MSG_CTRUNC) != 0)
        chunk.descriptors = descriptors(in: Array(control.prefix(max(0, controlLength))))
        return chunk
    }

    /// The `SCM_RIGHTS` descriptors of a control buffer.
    private static func descriptors(in control: [UInt8]) -> [Int32] {
        var found: [Int32] = []
        var offset = 0
        while offset + headerSize <= control.count {
            let (length, level, type) = control.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: offset, as: Int.self),
                 raw.loadUnaligned(fromByteOffset: offset + MemoryLayout<Int>.size, as: Int32.self),
                 raw.loadUnaligned(fromByteOffset: offset + MemoryLayout<Int>.size + 4, as: Int32.self))
            }
            guard length >= headerSize, offset + length <= control.count else { break }
            if level == SOL_SOCKET && type == Int32(SCM_RIGHTS) {
                let count = (length - headerSize) / MemoryLayout<Int32>.size
                for index in 0..<count {
                    found.append(control.withUnsafeBytes {
                        $0.loadUnaligned(fromByteOffset: offset + headerSize + index * 4, as: Int32.self)
                    })
                }
            }
            offset += (length + 7) & ~7
        }
        return found
    }
}
