/// The one rule for service names, in code and in the configuration file, and the name a
/// service type gets when it does not choose one.
enum ServiceName {
    /// Whether `name` may name a service: non-empty, only `a-z`, `0-9`, `_` and `-` (it is a
    /// key of the configuration file, a log value and part of process titles).
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// The default name of the type named `typeName`: its words in lower case joined by `-`,
    /// without a last word `Service` (`PrinterService` → `printer`, `KVService` → `kv`,
    /// `HTTPDaemonService` → `http-daemon`, `EchoWorker` → `echo-worker`); any other
    /// character (a generic argument, a module prefix) separates words.
    static func derived(fromTypeName typeName: String) -> String {
        var words = self.words(of: typeName)
        if words.count > 1, words.last == "service" { words.removeLast() }
        return words.isEmpty ? "service" : words.joined(separator: "-")
    }

    /// The lower-cased words of a camel-case name: a new word starts at an upper-case letter
    /// after a lower-case one or a digit, and at the last capital of an acronym followed by
    /// a lower-case letter (`HTTPServer` → `http`, `server`).
    private static func words(of typeName: String) -> [String] {
        let letters = Array(typeName.unicodeScalars)
        var words: [String] = []
        var current = ""
        for (index, scalar) in letters.enumerated() {
            guard scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) else {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            let isUpper = ("A"..."Z").contains(scalar)
            if isUpper, let previous = index > 0 ? letters[index - 1] : nil, !current.isEmpty {
                let previousIsUpper = ("A"..."Z").contains(previous)
                let nextIsLower = index + 1 < letters.count && ("a"..."z").contains(letters[index + 1])
                if !previousIsUpper || nextIsLower {
                    words.append(current)
                    current = ""
                }
            }
            current += String(scalar).lowercased()
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
