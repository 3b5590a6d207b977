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
            withMessage(data: UnsafeMutableRawBufferPointer(mutating: bytes), control: controlBytes) { message in
                sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// One `recvmsg(fd, flags | MSG_CMSG_CLOEXEC)` into `buffer`: the byte count (-1 with
    /// `errno` set) and the `SCM_RIGHTS` descriptors that came with the bytes (at most 16),
    /// which the caller closes.
    static func receive(_ fd: Int32, into buffer: inout [UInt8], flags: Int32 = 0) -> (count: Int, descriptors: [Int32]) {
        let headerSize = MemoryLayout<cmsghdr>.size
        var control = [UInt8](repeating: 0, count: headerSize + 16 * MemoryLayout<Int32>.size)
        var controlLength = 0
        let count = buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { controlBytes in
                withMessage(data: data, control: controlBytes) { message in
                    let received = recvmsg(fd, &message, flags | Int32(MSG_CMSG_CLOEXEC))
                    controlLength = message.msg_controllen
                    return received
                }
            }
        }
        guard count >= 0, controlLength >= headerSize else { return (count, []) }
        let (length, level, type) = control.withUnsafeBytes {
            ($0.load(as: Int.self), $0.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self),
             $0.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self))
        }
        guard level == SOL_SOCKET, type == Int32(SCM_RIGHTS), length >= headerSize else { return (count, []) }
        let descriptors = (0..<(length - headerSize) / MemoryLayout<Int32>.size).map { index in
            control.withUnsafeBytes { $0.load(fromByteOffset: headerSize + index * 4, as: Int32.self) }
        }
        return (count, descriptors)
    }

    /// Calls `body` with a `msghdr` over `data` (one `iovec`) and the control buffer `control`.
    private static func withMessage<Result>(data: UnsafeMutableRawBufferPointer, control: UnsafeMutableRawBufferPointer,
                                            _ body: (inout msghdr) -> Result) -> Result {
        var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
        return withUnsafeMutablePointer(to: &vector) { vectorPointer in
            var message = msghdr()
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            message.msg_control = control.baseAddress
            message.msg_controllen = control.count
            return body(&message)
        }
    }
}
