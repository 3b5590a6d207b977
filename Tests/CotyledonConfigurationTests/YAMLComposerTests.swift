import CYAML
import PropertyBased
import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

/// The configuration reader's YAML: libyaml's events composed into nodes, hand-picked
/// cases and generated documents that libyaml's emitter writes.
@Suite struct YAMLComposerTests {
    /// The tree as text, scalars as `text` (plain) or `'text'` (any other style).
    static func outline(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let scalar): return scalar.style == .plain ? scalar.text : "'\(scalar.text)'"
        case .sequence(let items): return "[" + items.map(outline).joined(separator: ", ") + "]"
        case .mapping(let mapping): return "{" + mapping.pairs.map { "\($0.key): \(outline($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    private func outline(_ yaml: String) throws -> String? {
        try YAMLComposer.compose(yaml).map(Self.outline)
    }

    private func syntaxError(_ yaml: String) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try YAMLComposer.compose(yaml) }
    }

    // MARK: What it reads

    @Test(arguments: [
        ("a: 1\nb: two words\n", "{a: 1, b: two words}"),
        ("# comment\na: 1 # trailing\n\nb: x#y\n", "{a: 1, b: x#y}"),
        ("a:\n  b:\n    c: 1\n  d: 2\n", "{a: {b: {c: 1}, d: 2}}"),
        ("a:\n- 1\n- 2\nb: 3\n", "{a: [1, 2], b: 3}"),
        ("a:\n  - x: 1\n    y: 2\n  - - p\n    - q\n", "{a: [{x: 1, y: 2}, [p, q]]}"),
        ("a:\nb: ~\n", "{a: , b: ~}"),
        ("a: [1, 'two', \"3\"]\nb: {x: 1, y: [2]}\n", "{a: [1, 'two', '3'], b: {x: 1, y: [2]}}"),
        ("a: [1,\n  2, # two\n  3]\n", "{a: [1, 2, 3]}"),
        ("a: 'it''s'\nb: \"tab\\there \\u00e9 \\\"q\\\"\"\n", "{a: 'it's', b: 'tab\there é \"q\"'}"),
        ("a: |\n  line 1\n  line 2\nb: 1\n", "{a: 'line 1\nline 2\n', b: 1}"),
        ("a: |-\n  x\n\n  y\n\n", "{a: 'x\n\ny'}"),
        ("a: >\n  folded\n  text\n\n  para\n", "{a: 'folded text\npara\n'}"),
        ("---\na: 1\n...\n# done\n", "{a: 1}"),
        ("\u{FEFF}a: 1\r\nb: 2\r\n", "{a: 1, b: 2}"),
        ("- a\n- b: c\n", "[a, {b: c}]"),
        ("plain text\n", "plain text"),
        ("a: http://host:80/x\n", "{a: http://host:80/x}"),
        ("\"quoted key\": 1\n'k2': 2\n", "{quoted key: 1, k2: 2}"),
        ("a: two\n  lines\n", "{a: two lines}"),
    ])
    func composes(_ yaml: String, _ expected: String) throws {
        #expect(try outline(yaml) == expected)
    }

    @Test func composesNothingFromBlankOrCommentOnlyText() throws {
        #expect(try YAMLComposer.compose("") == nil)
        #expect(try YAMLComposer.compose("\n  \n# only a comment\n") == nil)
        // An explicit empty document is a null scalar: the loader calls both "empty".
        #expect(try YAMLComposer.compose("---\n# nothing\n")?.scalar?.resolvedType == .null)
    }

    @Test func recordsWhereKeysAndValuesStart() throws {
        let root = try #require(try YAMLComposer.compose("a: 1\nlist:\n  - x\n  - 'y'\nflow: {k: [1]}\n"))
        guard case .mapping(let mapping) = root.content, case .sequence(let items)? = mapping["list"]?.value.content else {
            Issue.record("not a mapping with a list")
            return
        }
        #expect(root.position == TextPosition(line: 1, column: 1))
        #expect(mapping.pairs.map(\.keyPosition) == [TextPosition(line: 1, column: 1), TextPosition(line: 2, column: 1),
                                                     TextPosition(line: 5, column: 1)])
        #expect(items.map(\.position) == [TextPosition(line: 3, column: 5), TextPosition(line: 4, column: 5)])
        #expect(mapping["flow"]?.value.position == TextPosition(line: 5, column: 7))
        // Columns count characters, not bytes.
        let accented = try #require(try YAMLComposer.compose("é: 1\nü: {x: 1}\n"))
        guard case .mapping(let pairs) = accented.content, case .mapping(let inner)? = pairs["ü"]?.value.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(inner["x"]?.keyPosition == TextPosition(line: 2, column: 5))
    }

    @Test func keepsTheStyleThatDecidesTheType() throws {
        let root = try #require(try YAMLComposer.compose("a: 12\nb: '12'\nc: \"yes\"\nd: yes\ne: |\n  12\n"))
        guard case .mapping(let mapping) = root.content else {
            Issue.record("not a mapping")
            return
        }
        func type(_ key: String) -> YAMLScalar.ResolvedType? { mapping[key]?.value.scalar?.resolvedType }
        #expect(type("a") == .int && type("b") == .string && type("c") == .string && type("e") == .string)
        #expect(mapping["d"]?.value.scalar?.isLegacyBooleanWord == true)
        #expect(mapping["c"]?.value.scalar?.isLegacyBooleanWord == false)
    }

    @Test func resolvesScalarsByTheCoreSchema() {
        func type(_ text: String, _ style: YAMLScalar.Style = .plain) -> YAMLScalar.ResolvedType {
            YAMLScalar(text: text, style: style).resolvedType
        }
        #expect(["", "~", "null", "NULL"].map { type($0) } == Array(repeating: .null, count: 4))
        #expect(["true", "False"].map { type($0) } == [.bool, .bool])
        #expect(["12", "-3", "+4", "0x1F", "0o17"].map { type($0) } == Array(repeating: .int, count: 5))
        #expect(["1.5", "1e3", "-.5", ".inf", ".nan", "1."].map { type($0) } == Array(repeating: .float, count: 6))
        #expect(["yes", "on", "0x", "1e", "1.2.3", "12 ", "1_000"].map { type($0) } == Array(repeating: .string, count: 7))
        #expect(type("12", .doubleQuoted) == .string)
        #expect(YAMLScalar(text: "-9223372036854775808", style: .plain).integerValue?.signed == .min)
        #expect(YAMLScalar(text: "18446744073709551615", style: .plain).integerValue?.unsigned == .max)
        #expect(YAMLScalar(text: "0x1F", style: .plain).doubleValue == 31)
    }

    // MARK: What it rejects, and where

    @Test(arguments: [
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed"),
        ("a: &x 1\nb: *x\n", 1, 4, "anchors (&name) are not supported"),
        ("a: *x\n", 1, 4, "aliases (*name) are not supported"),
        ("a: !!str 1\n", 1, 4, "tags (!name) are not supported"),
        ("a: !local 1\n", 1, 4, "tags (!name) are not supported"),
        ("%YAML 1.2\n---\na: 1\n", 1, 1, "directives (%YAML, %TAG) are not supported"),
        ("? [complex]\n: key\n", 1, 3, "a list cannot be a key"),
        ("{a: 1}: 2\n", 1, 1, "a mapping cannot be a key"),
        ("a: 1\n---\nb: 2\n", 2, 1, "more than one YAML document"),
        ("a: 1\n\tb: 2\n", 2, 1, "tab"),
        ("a: \"open\nb: 2\n", 3, 1, "end of stream"),
        ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']'"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
        ("a: 1\n- b\n", 2, 1, "did not find expected key"),
        ("a: \"\\q\"\n", 1, 5, "unknown escape"),
        ("  a: 1\nb: 2\n", 2, 1, "did not find expected <document start>"),
        ("a: |x\n  t\n", 1, 5, "block scalar"),
        (": 1\n", 1, 1, "did not find expected key"),
        ("?\n: 1\n", 1, 2, "a mapping key is empty"),
        ("a: 1\nbé: x\u{01}\n", 2, 6, "control characters are not allowed"),
        ("\(String(repeating: "k", count: 1_100)): 1\n", 1, 1_101, "a key on its line is at most 1024 characters"),
    ])
    func rejects(_ yaml: String, _ line: Int, _ column: Int, _ problem: String) throws {
        let error = try #require(syntaxError(yaml))
        #expect(error.kind == .syntax)
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.problem.contains(problem), "\(error)")
        #expect(!error.fix.isEmpty)
    }

    @Test func saysWhatToWriteInsteadOfWhatItRefuses() throws {
        #expect(try #require(syntaxError("a: &x 1\n")).fix == "write the value out in full where it is needed")
        #expect(try #require(syntaxError("a: !!str 1\n")).fix.contains("quote the value"))
        #expect(try #require(syntaxError("a: 1\n---\nb: 2\n")).fix.contains("keep one document"))
        #expect(try #require(syntaxError("a: 1\n\tb: 2\n")).fix == "indent with spaces only")
        #expect(try #require(syntaxError("a: [1, 2\nb: 3\n")).fix.contains("separate the items with commas"))
        let longKey = try #require(syntaxError(String(repeating: "k", count: 2_000) + ": 1\n"))
        #expect(longKey.line == 1 && longKey.column == 2_001 && longKey.fix.contains("`? key`"), "\(longKey)")
        let unclosed = try #require(syntaxError("a: \"open\nb: 2\n"))
        #expect(unclosed.fix.contains("opened at line 1, column 4"), "\(unclosed)")
    }

    @Test func namesTheKeyPathOfARefusedNode() throws {
        let error = try #require(syntaxError("services:\n  printer:\n    restart: *policy\n"))
        #expect(error.keyPath == ["services", "printer", "restart"])
        let inList = try #require(syntaxError("hosts:\n  - a\n  - &b c\n"))
        #expect(inList.keyPath == ["hosts", "[1]"])
    }

    @Test func refusesHostileNestingWithoutExhaustingTheStack() throws {
        for yaml in [String(repeating: "[", count: 100_000), "a: " + String(repeating: "{b: ", count: 10_000),
                     String(repeating: "- ", count: 50_000) + "x\n"] {
            let error = try #require(syntaxError(yaml))
            #expect(error.problem.contains("nested more than \(YAMLComposer.maximumDepth) levels"), "\(error)")
        }
        // Depth is counted per level, not per node: many siblings, each a few levels deep, are fine.
        let wide = (0..<2_000).map { "k\($0):\n  a:\n    b: [1, {c: 2}]\n" }.joined()
        #expect(try YAMLComposer.compose(wide) != nil)
        let deepest = (0..<(YAMLComposer.maximumDepth - 1)).map { String(repeating: "  ", count: $0) + "k:\n" }.joined()
        #expect(try YAMLComposer.compose(deepest + String(repeating: "  ", count: YAMLComposer.maximumDepth - 1) + "leaf\n") != nil)
    }

    @Test func rejectsADuplicateKeyWithItsPathAndBothLines() throws {
        let error = try #require(syntaxError("services:\n  printer:\n    workers: 1\n    workers: 2\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath == ["services", "printer", "workers"])
        #expect(error.line == 4 && error.column == 5)
        #expect(error.problem == "key 'workers' appears more than once in the same mapping (first at line 3)")
        let flow = try #require(syntaxError("a: {x: 1,\n  y: 2, x: 3}\n"))
        #expect(flow.kind == .duplicateKey && flow.keyPath == ["a", "x"] && flow.line == 2 && flow.column == 9, "\(flow)")
        // Quoting does not make another key.
        #expect(try #require(syntaxError("k: 1\n'k': 2\n")).kind == .duplicateKey)
    }

    /// A key longer than 1,024 characters must be written as an explicit key (`? key`).
    @Test func quotesAHugeKeyOrValueOnlyByItsStart() throws {
        let key = String(repeating: "k", count: 900_000)
        let error = try #require(syntaxError("? \(key)\n: 1\n? \(key)\n: 2\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.problem == "key '\(String(repeating: "k", count: 39))…' appears more than once in the same mapping (first at line 1)")
        #expect(error.description.count < 200, "\(error.description.prefix(300))")
        let unknown = try #require(configurationErrorThrown { () throws(ConfigurationError) in
            try ConfigurationFile.load(ManagerConfiguration.self, yaml: "? \(key)\n: 1\n", name: "big.yaml")
        })
        #expect(unknown.kind == .unknownKey)
        #expect(unknown.description.count < 400, "\(unknown.description.prefix(500))")
        let value = try #require(configurationErrorThrown { () throws(ConfigurationError) in
            try ConfigurationFile.load(ManagerConfiguration.self, yaml: "log_level: \(key)\n", name: "big.yaml")
        })
        #expect(value.description.count < 400, "\(value.description.prefix(500))")
        #expect(value.problem.contains(String(repeating: "k", count: 39) + "…"), "\(value.problem.prefix(300))")
    }

    /// 95,000 keys and a repeated one at the very end: the index finds it (the old reader
    /// compared each key with all the earlier ones: 27 s of CPU for such a file).
    @Test func findsADuplicateAmongNinetyFiveThousandKeys() throws {
        let keys = (0..<95_000).map { "key\($0): \($0)\n" }.joined()
        let error = try #require(syntaxError("extra:\n" + keys.split(separator: "\n").map { "  " + $0 + "\n" }.joined() + "  key17: again\n"))
        #expect(error.kind == .duplicateKey && error.keyPath == ["extra", "key17"] && error.line == 95_002, "\(error)")
        #expect(error.problem.contains("first at line 19"))
    }
}
