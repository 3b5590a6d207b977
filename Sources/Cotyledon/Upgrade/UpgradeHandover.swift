import Glibc
import SystemPackage

/// Moves an ``UpgradeState`` across `execve`: written into a sealed memory file whose
/// number the new image finds in `COTYLEDON_UPGRADE_STATE`, read back there only if the
/// descriptor is such a sealed file.
enum UpgradeHandover {
    /// The environment variable naming the state's descriptor in the new image.
    static let stateVariable = "COTYLEDON_UPGRADE_STATE"
    /// The environment variable that starts the program in check mode.
    static let checkVariable = "COTYLEDON_UPGRADE_CHECK"
    /// The largest record read.
    static let maximumSize = 16 * 1024 * 1024
    /// The seals a handed-over record must carry: write, grow and shrink.
    private static let requiredSeals: Int32 = 0x0002 | 0x0004 | 0x0008

    /// Writes `state` into a new sealed memory file (close-on-exec until the caller clears it).
    static func write(_ state: UpgradeState) throws(Errno) -> FileDescriptor {
        let memory = try Syscall.createMemoryFile("cotyledon-upgrade-state")
        do throws(Errno) {
            let written: Result<Void, Errno> = state.encoded().withUnsafeBytes { buffer in
                Result { () throws(Errno) in try Syscall.writeAll(memory.rawValue, buffer) }
            }
            try written.get()
            try Syscall.sealMemoryFile(memory)
            return memory
        } catch {
            Syscall.close(memory)
            throw error
        }
    }

    /// The descriptor number in `COTYLEDON_UPGRADE_STATE`, `nil` when the variable is unset.
    static var handedOverDescriptor: String? {
        getenv(stateVariable).map { String(cString: $0) }
    }

    /// Reads the record of descriptor `text` (the variable's value): it must be a sealed
    /// memory file of at most ``maximumSize`` bytes, and every descriptor the record names
    /// must be open. Unsets the variable and closes the descriptor, whatever the outcome.
    static func read(descriptorText text: String) throws(UpgradeStateError) -> UpgradeState {
        unsetenv(stateVariable)
        guard let number = Int32(text), number > 2 else {
            throw UpgradeStateError("\(stateVariable)=\(text) is not a descriptor number above 2")
        }
        let descriptor = FileDescriptor(rawValue: number)
        defer { Syscall.close(descriptor) }
        let state = try read(descriptor)
        try checkDescriptorsAreOpen(state)
        return state
    }

    /// Refuses a record that names a descriptor this process does not have open.
    static func checkDescriptorsAreOpen(_ state: UpgradeState) throws(UpgradeStateError) {
        if let closed = state.descriptors.first(where: { !Syscall.isOpen($0) }) {
            throw UpgradeStateError("the upgrade state names descriptor \(closed), which is not open")
        }
    }

    /// Reads the record in the sealed memory file `descriptor` (left open).
    static func read(_ descriptor: FileDescriptor) throws(UpgradeStateError) -> UpgradeState {
        let seals: Int32
        do {
            seals = try Syscall.seals(of: descriptor)
        } catch {
            throw UpgradeStateError("descriptor \(descriptor.rawValue) is not a sealed memory file: \(error)")
        }
        guard seals & requiredSeals == requiredSeals else {
            throw UpgradeStateError("descriptor \(descriptor.rawValue) is a memory file that is not sealed against writes")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= maximumSize {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { buffer throws(Errno) in
                    try Syscall.read(descriptor, into: buffer, at: bytes.count)
                }
            } catch {
                throw UpgradeStateError("reading the upgrade state failed: \(error)")
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard bytes.count <= maximumSize else {
            throw UpgradeStateError("the upgrade state is larger than \(maximumSize) bytes")
        }
        return try UpgradeState(decoding: bytes)
    }

    /// Clears `FD_CLOEXEC` on `descriptors` so they cross `execve`; on failure sets it
    /// back on those already cleared.
    static func letCross(_ descriptors: [Int32]) throws(Errno) {
        var cleared: [Int32] = []
        for descriptor in descriptors {
            do {
                try Syscall.setCloseOnExec(descriptor, false)
            } catch {
                closeOnExec(cleared)
                throw error
            }
            cleared.append(descriptor)
        }
    }

    /// Sets `FD_CLOEXEC` back on `descriptors` after an `execve` that failed.
    static func closeOnExec(_ descriptors: [Int32]) {
        for descriptor in descriptors {
            try? Syscall.setCloseOnExec(descriptor, true)
        }
    }
}
