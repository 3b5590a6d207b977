/// The master-owned listeners of a daemon, from its `listener-opened` lines.
extension DaemonProcess {
    /// The port the listener `name` listens on, from its first `listener-opened` line from
    /// `cursor` (the kernel's port for a port 0).
    /// - Throws: ``DriverError`` when no such line comes within `timeout` or it names no port.
    func listenerPort(named name: String, from cursor: Int = 0, timeout: Duration = .seconds(30)) throws -> Int {
        let opened = try waitForEvent("listener-opened", from: cursor, timeout: timeout) { $0.fields["name"] == name }
        guard let port = opened.listenerPort, port != 0 else { throw DriverError("listener-opened names no port: \(opened.text)") }
        return port
    }
}

extension LogLine {
    /// The port of a `listener-opened` (or `listener-kept`) line's TCP address.
    var listenerPort: Int? {
        fields["address"]?.split(separator: ":").last.flatMap { Int($0) }
    }
}
