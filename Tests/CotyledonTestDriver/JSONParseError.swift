/// Malformed JSON in a command; `offset` counts Unicode scalars.
struct JSONParseError: Error {
    let offset: Int
}
