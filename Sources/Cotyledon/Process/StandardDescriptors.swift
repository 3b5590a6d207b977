import Glibc

/// Standard input, output and error of the process.
enum StandardDescriptors {
    /// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, so that no
    /// descriptor opened later lands there: a signalfd or a pipe taken for standard input
    /// or output, written to by the log or the workers' output (which they inherit).
    /// Nothing can be reported when this fails: the descriptor stays closed.
    static func openClosedOnDevNull() {
        for descriptor in STDIN_FILENO...STDERR_FILENO where !Syscall.isOpen(descriptor) {
            // The lowest free number: `descriptor` itself, as the ones below it are open.
            _ = try? Syscall.open("/dev/null", O_RDWR)
        }
    }
}
