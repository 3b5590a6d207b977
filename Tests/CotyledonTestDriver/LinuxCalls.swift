import Glibc

/// Linux calls that Swift's `Glibc` module does not import, bound once through `dlsym`.
///
/// `prctl` is variadic in glibc, and `signalfd`, `pidfd_open` and `pidfd_send_signal` live in
/// headers the module map leaves out (`_GNU_SOURCE`). Each is looked up in the already-loaded
/// libc and called through a fixed-arity C function pointer. On the Linux ABIs Swift supports
/// (x86_64, aarch64) calling a variadic function whose arguments are all integers this way is
/// identical to a variadic call. A C shim target would be the conventional alternative; this
/// keeps the driver independent of the library under test (it shares only the control
/// protocol module's JSON, which is the standard library alone).
enum LinuxCalls {
    /// `PR_SET_PDEATHSIG` from `<linux/prctl.h>`.
    static let prSetPdeathsig: Int32 = 1
    /// `PR_SET_CHILD_SUBREAPER` from `<linux/prctl.h>`.
    static let prSetChildSubreaper: Int32 = 36
    /// `SFD_CLOEXEC` (equal to `O_CLOEXEC`).
    static let sfdCloexec: Int32 = O_CLOEXEC
    /// `SFD_NONBLOCK` (equal to `O_NONBLOCK`).
    static let sfdNonblock: Int32 = O_NONBLOCK
    /// `sizeof(struct signalfd_siginfo)`.
    static let signalfdSiginfoSize = 128

    private typealias PrctlFunction = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    private typealias SignalfdFunction = @convention(c) (Int32, UnsafePointer<sigset_t>, Int32) -> Int32
    private typealias PidfdOpenFunction = @convention(c) (pid_t, UInt32) -> Int32
    private typealias PidfdSendSignalFunction =
        @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32

    private static func symbol<F>(_ name: String, as type: F.Type) -> F {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else {
            fatalError("cotyledon-test-driver: libc has no \(name)")
        }
        return unsafeBitCast(address, to: type)
    }

    /// `prctl(option, arg2, 0, 0, 0)`; returns -1 and sets `errno` on failure.
    static func prctl(_ option: Int32, _ argument: UInt) -> Int32 {
        symbol("prctl", as: PrctlFunction.self)(option, argument, 0, 0, 0)
    }

    /// `signalfd(-1, mask, flags)`; returns a new file descriptor or -1.
    static func signalfd(_ mask: inout sigset_t, flags: Int32) -> Int32 {
        let function = symbol("signalfd", as: SignalfdFunction.self)
        return withUnsafePointer(to: &mask) { function(-1, $0, flags) }
    }

    /// `pidfd_open(pid, 0)`; returns a new file descriptor or -1.
    static func pidfdOpen(_ pid: pid_t) -> Int32 {
        symbol("pidfd_open", as: PidfdOpenFunction.self)(pid, 0)
    }

    /// `pidfd_send_signal(pidfd, signal, NULL, 0)`; returns 0 or -1.
    static func pidfdSendSignal(_ pidfd: Int32, _ signal: Int32) -> Int32 {
        symbol("pidfd_send_signal", as: PidfdSendSignalFunction.self)(pidfd, signal, nil, 0)
    }
}
