/// A coding key made up while encoding or decoding settings: `super`, and array indices in coding paths.
struct SettingsCodingKey: CodingKey {
    /// The key as text.
    let stringValue: String
    /// The index, for array elements.
    let intValue: Int?

    /// A named key.
    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    /// An array index.
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
