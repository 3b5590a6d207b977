/// One-byte messages a worker writes to its master over its private pipe.
enum WorkerMessage: UInt8 {
    /// The worker is ready to do its work.
    case ready = 0x52 // "R"
    /// The worker is finishing so that it is respawned for a reload.
    case exitingForReload = 0x4C // "L"
}
