import CCotyledonLinux
import Glibc
import SystemPackage

/// A non-blocking `signalfd` for the master's poll loop: signals in its set are read
/// as data instead of interrupting the process (they must be blocked first).
struct SignalFileDescriptor {
    /// The descriptor to poll for `POLLIN`.
    let descriptor: FileDescriptor

    /// Opens a signalfd for `signals` with `SFD_NONBLOCK | SFD_CLOEXEC`.
    init(_ signals: SignalSet) throws(Errno) {
        var mask = signals.raw
        let fd = try Syscall.retrying { signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
        descriptor = FileDescriptor(rawValue: fd)
    }

    /// Every signal queued now, in the kernel's order (lowest number first), each once.
    func readPending() throws(Errno) -> [Signal] {
        var received: [Signal] = []
        let size = MemoryLayout<signalfd_siginfo>.stride
        var batch = [signalfd_siginfo](repeating: signalfd_siginfo(), count: 16)
        while true {
            let result: Result<Int?, Errno> = batch.withUnsafeMutableBytes { bytes in
                Result { () throws(Errno) in try Syscall.read(descriptor, into: bytes) }
            }
            guard let count = try result.get(), count > 0 else { break }
            for info in batch.prefix(count / size) {
                let signal = Signal(rawValue: Int32(info.ssi_signo))
                if !received.contains(signal) { received.append(signal) }
            }
        }
        return received
    }
}
