/// A 1-based line and column (in Unicode scalars) in a file's text.
struct TextPosition: Equatable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
