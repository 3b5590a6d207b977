import CYAML
import PropertyBased
import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

/// The composer against libyaml's own emitter: random trees, written in random block and
/// flow styles and scalar styles, compose back to themselves.
@Suite struct YAMLComposerPropertyTests {
    /// Documents libyaml writes compose to the tree it was given: same structure, same
    /// texts, and a scalar asked to be quoted or a block scalar is never read as plain
    /// (which would change its type: `'12'` is a string).
    @Test func composesWhatLibyamlWrites() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix(seed: UInt64(seed))
            let tree = RandomTree.node(depth: 0, using: &random)
            let yaml = try tree.emitted()
            let composed = try #require(try YAMLComposer.compose(yaml), "nothing composed from:\n\(yaml)")
            #expect(RandomTree.matches(composed, tree), "seed \(seed), document:\n\(yaml)\ncomposed: \(YAMLComposerTests.outline(composed))")
        }
    }

    /// A mapping of many random keys, one of them repeated at a random place: the error
    /// names that key, the line of its second occurrence and the line of its first.
    @Test func findsARepeatedKeyWhereverItIs() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix(seed: UInt64(seed))
            let count = 2 + random.next(below: 300)
            var keys = (0..<count).map { "k\($0)_\(random.next(below: 1_000))" }
            let first = random.next(below: count)
            let second = first + 1 + random.next(below: count - first)
            keys.insert(keys[first], at: second)
            let yaml = keys.map { "\($0): 1\n" }.joined()
            let error = try #require(configurationErrorThrown { () throws(ConfigurationError) in try YAMLComposer.compose(yaml) })
            #expect(error.kind == .duplicateKey && error.keyPath == [keys[first]], "\(error)")
            #expect(error.line == second + 1, "\(error)")
            #expect(error.problem.hasSuffix("(first at line \(first + 1))"), "\(error)")
        }
    }

    /// Every key of a composed mapping is found by its name, with the line it is written on.
    @Test func findsEveryKeyByItsName() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix(seed: UInt64(seed))
            let keys = Array(Set((0..<(1 + random.next(below: 500))).map { _ in RandomTree.words[random.next(below: RandomTree.words.count)] + "\(random.next(below: 100))" }))
            let yaml = keys.map { "'\($0.replacingOccurrences(of: "'", with: "''"))': x\n" }.joined()
            let root = try #require(try YAMLComposer.compose(yaml))
            guard case .mapping(let mapping) = root.content else {
                Issue.record("not a mapping: \(yaml)")
                return
            }
            for (line, key) in keys.enumerated() {
                #expect(mapping[key]?.keyPosition == TextPosition(line: line + 1, column: 1), "\(key)")
            }
            #expect(mapping.pairs.map(\.key) == keys)
        }
    }
}

/// Random trees for the property tests.
enum RandomTree {
    static let words = ["a", "port", "two words", "x: y", "#hash", "a #b", "'q'", "\"dq\"", "-", "- item", "null", "~", "true",
                        "yes", "12", "0x1F", "1.5", "", " lead", "trail ", "é ü", "tab\there", "line\nbreak", "two\n\nparas\n",
                        "[x]", "{y}", "a, b", "50%", "@at", "`tick`", "k:v", "?q", "!bang", "&amp", "*star", "|pipe", ">gt"]
    static let styles = [YAML_PLAIN_SCALAR_STYLE, YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE,
                         YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE]

    static func node(depth: Int, using random: inout SplitMix) -> EmittedNode {
        switch depth == 0 ? 1 : depth >= 3 ? 0 : random.next(below: 4) {
        case 1:
            var pairs: [(key: String, keyStyle: yaml_scalar_style_t, value: EmittedNode)] = []
            var keys: Set<String> = []
            for _ in 0..<(1 + random.next(below: 4)) {
                let key = String(words[random.next(below: words.count)].map { $0 == "\n" ? " " : $0 })
                // An empty plain key reads as "no key": quote it.
                guard !key.isEmpty, keys.insert(key).inserted else { continue }
                pairs.append((key, styles[random.next(below: 3)], node(depth: depth + 1, using: &random)))
            }
            return .mapping(pairs, flow: random.next(below: 3) == 0)
        case 2:
            let items = (0..<random.next(below: 4)).map { _ in node(depth: depth + 1, using: &random) }
            return .sequence(items, flow: random.next(below: 3) == 0)
        default:
            return .scalar(words[random.next(below: words.count)], styles[random.next(below: styles.count)])
        }
    }

    /// Whether the composed node has the tree's structure and texts, and no scalar asked
    /// to be written otherwise came back plain.
    static func matches(_ node: YAMLNode, _ tree: EmittedNode) -> Bool {
        switch (node.content, tree) {
        case (.scalar(let scalar), .scalar(let text, let style)):
            return scalar.text == text && (style == YAML_PLAIN_SCALAR_STYLE || scalar.style != .plain)
        case (.sequence(let items), .sequence(let expected, _)):
            return items.count == expected.count && zip(items, expected).allSatisfy { matches($0, $1) }
        case (.mapping(let mapping), .mapping(let expected, _)):
            return mapping.pairs.count == expected.count && zip(mapping.pairs, expected).allSatisfy { pair, expected in
                pair.key == expected.key && matches(pair.value, expected.value)
            }
        default:
            return false
        }
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
