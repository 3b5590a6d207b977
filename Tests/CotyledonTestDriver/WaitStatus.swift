/// A `waitpid` status decoded without the C macros (`WIFEXITED` and friends are not imported).
struct WaitStatus {
    /// The raw status word.
    let raw: Int32

    /// `exited:N` for a normal exit, `killed:SIGNAME` for death by signal.
    var description: String {
        let signal = raw & 0x7f
        if signal == 0 {
            return "exited:\((raw >> 8) & 0xff)"
        }
        return "killed:\(SignalName.name(of: signal))"
    }
}
