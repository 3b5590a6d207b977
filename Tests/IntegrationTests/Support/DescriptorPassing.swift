#if canImport(Glibc)
import Glibc
#endif

/// Sends descriptors over a Unix socket with `SCM_RIGHTS`, attached to data.
enum DescriptorPassing {
    /// `sendmsg(fd, bytes, MSG_NOSIGNAL)` with `descriptors` attached.
    /// - Returns: the bytes sent, or -1 with `errno` set.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, descriptors: [Int32]) -> Int {
        let headerSize = MemoryLayout<cmsghdr>.size
        let dataSize = descriptors.count * MemoryLayout<Int32>.size
        var control = [UInt8](repeating: 0, count: headerSize + ((dataSize + 7) & ~7))
        control.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: headerSize + dataSize, toByteOffset: 0, as: Int.self)
            raw.storeBytes(of: Int32(SOL_SOCKET), toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
            raw.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
            for (index, descriptor) in descriptors.enumerated() {
                raw.storeBytes(of: descriptor, toByteOffset: headerSize + index * 4, as: Int32.self)
            }
        }
        return control.withUnsafeMutableBytes { controlBytes in
            var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = controlBytes.baseAddress
                message.msg_controllen = controlBytes.count
                return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            }
        }
    }
}
