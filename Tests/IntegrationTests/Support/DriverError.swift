/// Why a driver operation or a wait failed; the description carries the evidence (log tail).
struct DriverError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
