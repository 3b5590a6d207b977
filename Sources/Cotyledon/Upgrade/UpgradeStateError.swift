/// An upgrade state record the new image cannot read.
struct UpgradeStateError: Error, CustomStringConvertible, Equatable {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
