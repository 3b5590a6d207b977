import PropertyBased
import Testing
import Yams
@testable import Cotyledon

/// The configuration reader's YAML: hand-picked cases, and agreement with libyaml (through
/// Yams) on generated documents.
@Suite struct YAMLParserTests {
    /// The tree as text, scalars as `text` (plain) or `'text'` (any other style).
    private static func outline(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let scalar): return scalar.style == .plain ? scalar.text : "'\(scalar.text)'"
        case .sequence(let items): return "[" + items.map(outline).joined(separator: ", ") + "]"
        case .mapping(let pairs): return "{" + pairs.map { "\($0.key): \(outline($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    private static func outline(_ node: Yams.Node) -> String {
        switch node {
        case .scalar(let scalar): return scalar.style == .plain ? scalar.string : "'\(scalar.string)'"
        case .sequence(let items): return "[" + items.map(outline).joined(separator: ", ") + "]"
        case .mapping(let pairs): return "{" + pairs.map { "\($0.key.string ?? "?"): \(outline($0.value))" }.joined(separator: ", ") + "}"
        case .alias: return "*alias"
        }
    }

    private func outline(_ yaml: String) throws -> String? {
        try YAMLParser.compose(yaml).map(Self.outline)
    }

    private func syntaxError(_ yaml: String) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try YAMLParser.compose(yaml) }
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
        ("a: |+\n  x\n\n", "{a: 'x\n\n'}"),
        ("a: >\n  folded\n  text\n\n  para\n", "{a: 'folded text\npara\n'}"),
        ("a: >-\n  one\n    more\n  two\n", "{a: 'one\n  more\ntwo'}"),
        ("---\na: 1\n...\n# done\n", "{a: 1}"),
        ("\u{FEFF}a: 1\r\nb: 2\r\n", "{a: 1, b: 2}"),
        ("- a\n- b: c\n", "[a, {b: c}]"),
        ("plain text\n", "plain text"),
        ("a: http://host:80/x\n", "{a: http://host:80/x}"),
        ("\"quoted key\": 1\n'k2': 2\n", "{quoted key: 1, k2: 2}"),
        ("a:\t1\n", "{a: 1}"),
    ])
    func composes(_ yaml: String, _ expected: String) throws {
        #expect(try outline(yaml) == expected)
    }

    @Test func composesNothingFromBlankOrCommentOnlyText() throws {
        #expect(try YAMLParser.compose("") == nil)
        #expect(try YAMLParser.compose("\n  \n# only a comment\n") == nil)
        #expect(try YAMLParser.compose("---\n# nothing\n") == nil)
    }

    @Test func recordsWhereKeysAndValuesStart() throws {
        let root = try #require(try YAMLParser.compose("a: 1\nlist:\n  - x\n  - 'y'\n"))
        guard case .mapping(let pairs) = root.content, case .sequence(let items) = pairs[1].value.content else {
            Issue.record("not a mapping with a list")
            return
        }
        #expect(pairs.map(\.keyPosition) == [TextPosition(line: 1, column: 1), TextPosition(line: 2, column: 1)])
        #expect(items.map(\.position) == [TextPosition(line: 3, column: 5), TextPosition(line: 4, column: 5)])
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
        ("a: 1\n  b: 2\n", 2, 3, "indented more"),
        ("a: &x 1\nb: *x\n", 1, 4, "anchors"),
        ("a: *x\n", 1, 4, "aliases"),
        ("a: !!str 1\n", 1, 4, "tags"),
        ("%YAML 1.2\n---\na: 1\n", 1, 1, "directives"),
        ("? complex\n: key\n", 1, 1, "complex keys"),
        ("a: 1\n---\nb: 2\n", 2, 1, "more than one YAML document"),
        ("a: 1\n\tb: 2\n", 2, 1, "tab"),
        ("a: \"open\nb: 2\n", 1, 4, "not closed"),
        ("a: [1, 2\nb: 3\n", 2, 1, "expected ',' or ']'"),
        ("a: [1, 2\n", 1, 4, "not closed"),
        ("a: b: c\n", 1, 4, "same line as its key"),
        ("a: - b\n", 1, 4, "list cannot start on the same line"),
        ("a: 1\nb 2\n", 2, 4, "no ': '"),
        ("a: 1\n- b\n", 2, 1, "list item where a key"),
        ("a: \"x\" y\n", 1, 8, "unexpected text after the value"),
        ("a: \"\\q\"\n", 1, 5, "unknown escape"),
        ("a: [1,,2]\n", 1, 7, "value is missing"),
        ("  a: 1\nb: 2\n", 2, 1, "indented less"),
        ("a: |x\n  t\n", 1, 5, "after the block scalar indicator"),
    ])
    func rejects(_ yaml: String, _ line: Int, _ column: Int, _ problem: String) throws {
        let error = try #require(syntaxError(yaml))
        #expect(error.kind == .syntax)
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.problem.contains(problem), "\(error)")
        #expect(!error.fix.isEmpty)
    }

    @Test func refusesHostileNestingWithoutExhaustingTheStack() throws {
        for yaml in [String(repeating: "[", count: 100_000), "a: " + String(repeating: "{b: ", count: 10_000),
                     String(repeating: "- ", count: 50_000) + "x\n"] {
            let error = try #require(syntaxError(yaml))
            #expect(error.problem.contains("nested more than \(YAMLParser.maximumDepth) levels"), "\(error)")
        }
        // Depth is counted per level, not per node: many siblings, each a few levels deep, are fine.
        let wide = (0..<2_000).map { "k\($0):\n  a:\n    b: [1, {c: 2}]\n" }.joined()
        #expect(try YAMLParser.compose(wide) != nil)
        let deepest = (0..<(YAMLParser.maximumDepth - 1)).map { String(repeating: "  ", count: $0) + "k:\n" }.joined()
        #expect(try YAMLParser.compose(deepest + String(repeating: "  ", count: YAMLParser.maximumDepth - 1) + "leaf\n") != nil)
    }

    @Test func rejectsADuplicateKeyWithItsPathAndBothLines() throws {
        let error = try #require(syntaxError("services:\n  printer:\n    workers: 1\n    workers: 2\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath == ["services", "printer", "workers"])
        #expect(error.line == 4 && error.column == 5)
        #expect(error.problem.contains("first at line 3"))
    }

    // MARK: Agreement with libyaml

    /// Documents that libyaml's emitter writes from random trees, in random block and
    /// flow styles and scalar styles, compose to the same tree as libyaml reads.
    @Test func readsWhatLibyamlWritesAsLibyamlReadsIt() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix(seed: UInt64(seed))
            let document = RandomDocument.node(depth: 0, using: &random)
            let yaml = try Yams.serialize(node: document, width: -1, allowUnicode: true)
            let expected = try #require(try Yams.compose(yaml: yaml))
            let composed = try #require(try YAMLParser.compose(yaml), "nothing composed from:\n\(yaml)")
            #expect(Self.outline(composed) == Self.outline(expected), "seed \(seed), document:\n\(yaml)")
        }
    }

    /// Long texts that libyaml folds over several lines (`>` style, narrow width), with
    /// empty lines and more-indented lines, read back as libyaml reads them.
    @Test func unfoldsWhatLibyamlFoldsAsLibyamlDoes() async {
        let pieces = ["alpha", "beta", "gamma delta", "epsilon", "\n", "\n\n", "\n  indented", " ", "zeta eta theta"]
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix(seed: UInt64(seed))
            let texts = (0..<3).map { _ in
                (0..<(1 + random.next(below: 10))).map { _ in pieces[random.next(below: pieces.count)] }.joined(separator: " ")
            }
            let styles: [Yams.Node.Scalar.Style] = [.folded, .literal]
            let document = Yams.Node.mapping(.init(texts.enumerated().map { index, text in
                (Yams.Node("key\(index)"), Yams.Node.scalar(.init(text, .implicit, styles[random.next(below: 2)])))
            }))
            let yaml = try Yams.serialize(node: document, width: 20, allowUnicode: true)
            let expected = try #require(try Yams.compose(yaml: yaml))
            let composed = try #require(try YAMLParser.compose(yaml))
            #expect(Self.outline(composed) == Self.outline(expected), "seed \(seed), document:\n\(yaml)")
        }
    }
}

/// Random YAML trees for the agreement test.
private enum RandomDocument {
    static let words = ["a", "port", "two words", "x: y", "#hash", "a #b", "'q'", "\"dq\"", "-", "- item", "null", "~", "true",
                        "yes", "12", "0x1F", "1.5", "", " lead", "trail ", "é ü", "tab\there", "line\nbreak", "two\n\nparas\n",
                        "[x]", "{y}", "a, b", "50%", "@at", "`tick`", "k:v", "?q", "!bang", "&amp", "*star", "|pipe", ">gt"]

    static func node(depth: Int, using random: inout SplitMix) -> Yams.Node {
        switch depth == 0 ? 1 : depth >= 3 ? 0 : random.next(below: 4) {
        case 1:
            var pairs: [(Yams.Node, Yams.Node)] = []
            var keys: Set<String> = []
            for _ in 0..<(1 + random.next(below: 4)) {
                let key = words[random.next(below: words.count)].replacingNewlines()
                guard keys.insert(key).inserted else { continue }
                pairs.append((scalar(key, using: &random), node(depth: depth + 1, using: &random)))
            }
            return .mapping(.init(pairs, .implicit, random.next(below: 3) == 0 ? .flow : .block))
        case 2:
            let items = (0..<random.next(below: 4)).map { _ in node(depth: depth + 1, using: &random) }
            return .sequence(.init(items, .implicit, random.next(below: 3) == 0 ? .flow : .block))
        default:
            return scalar(words[random.next(below: words.count)], using: &random)
        }
    }

    static func scalar(_ text: String, using random: inout SplitMix) -> Yams.Node {
        let styles: [Yams.Node.Scalar.Style] = [.plain, .singleQuoted, .doubleQuoted, .literal, .folded]
        return .scalar(.init(text, .implicit, styles[random.next(below: styles.count)]))
    }
}

private extension String {
    func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}

/// A small seeded generator, so a failing seed reproduces.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
