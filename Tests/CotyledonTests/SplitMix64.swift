/// A seeded random number generator (SplitMix64), so a test drawing random numbers is the
/// same on every run, or can be replayed from the seed it reports.
struct SplitMix64: RandomNumberGenerator {
    /// The generator's state, advanced by each draw.
    var state: UInt64

    /// The next value of the sequence.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
