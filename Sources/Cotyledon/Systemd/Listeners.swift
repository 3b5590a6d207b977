import CSystemd
import Glibc
import Logging
import SystemPackage

/// Listening sockets a worker holds, by name: the ones systemd passed (`LISTEN_FDS`,
/// `LISTEN_FDNAMES`, read once by the master) and the declared ones the master opened
/// (``ListenerConfiguration``), inherited at the master's descriptor numbers.
///
/// ```swift
/// guard let http = listeners["http"].first else { … }   // a declared listener, or FileDescriptorName=
/// ```
public struct Listeners: Sendable {
    /// One inherited socket.
    public struct Listener: Sendable, Equatable {
        /// Its name: the declared listener's, or the `FileDescriptorName=` of a socket
        /// systemd passed (systemd defaults it to the socket unit's name).
        public let name: String
        /// The descriptor number, the same in the master and every worker.
        public let descriptor: Int32
    }

    /// Every socket, in descriptor order (systemd's from 3 up, then the master's own).
    public let all: [Listener]

    /// No inherited sockets.
    public static let none = Listeners(all: [])

    /// The sockets named `name`.
    public subscript(name: String) -> [Listener] {
        all.filter { $0.name == name }
    }

    /// Reads the sockets systemd passed to this process. `LISTEN_PID` naming another
    /// process (the variables leaked from a parent) is ignored with a warning, and so is
    /// each passed descriptor that is not a socket: it is closed and not handed to workers.
    /// libsystemd is loaded only when the sockets are this process's.
    ///
    /// - Throws: ``CotyledonError/systemdLibraryUnavailable(variable:reason:)`` when systemd
    ///   passed sockets and libsystemd cannot be loaded.
    static func fromEnvironment(logger: Logger) throws(CotyledonError) -> Listeners {
        guard let count = getenv("LISTEN_FDS").map({ String(cString: $0) }) else { return .none }
        let target = getenv("LISTEN_PID").map { String(cString: $0) }
        guard target == String(getpid()) else {
            logger.warning("ignoring LISTEN_FDS=\(count): LISTEN_PID=\(target ?? "(unset)") is not this process (\(getpid()))",
                           metadata: ["event": .event(.listenFdsIgnored)])
            return .none
        }
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let received = try SystemdLibrary.load(for: "LISTEN_FDS").listenFdsWithNames(0, &names)
        guard received > 0 else {
            if received < 0 {
                logger.warning("ignoring LISTEN_FDS=\(count): \(String(cString: strerror(-received)))",
                               metadata: ["event": .event(.listenFdsIgnored)])
            }
            return .none
        }
        defer {
            if let names {
                for index in 0..<Int(received) { free(names[index]) }
                free(names)
            }
        }
        let listeners = (0..<Int(received)).compactMap { index -> Listener? in
            let listener = Listener(name: names?[index].map { String(cString: $0) } ?? "unknown",
                                    descriptor: SD_LISTEN_FDS_START + Int32(index))
            guard let kind = nonSocketKind(of: listener.descriptor) else { return listener }
            logger.warning("ignoring LISTEN_FDS descriptor \(listener.descriptor) (\(listener.name)): not a socket but a \(kind)",
                           metadata: ["event": .event(.listenFdRefused), "fd": "\(listener.descriptor)", "name": "\(listener.name)", "kind": "\(kind)"])
            Syscall.close(FileDescriptor(rawValue: listener.descriptor))
            return nil
        }
        if !listeners.isEmpty {
            logger.info("inherited \(listeners.count) listening sockets",
                        metadata: ["event": .event(.listeners), "names": "\(listeners.map(\.name).joined(separator: ","))"])
        }
        return Listeners(all: listeners)
    }

    /// What `descriptor` is when it is not a socket (`regular-file`, `pipe`,
    /// `character-device`…, `closed-descriptor`), `nil` for a socket.
    static func nonSocketKind(of descriptor: Int32) -> String? {
        guard let kind = FileKind(of: descriptor) else { return "closed-descriptor" }
        return kind == .socket ? nil : kind.fieldValue
    }
}
