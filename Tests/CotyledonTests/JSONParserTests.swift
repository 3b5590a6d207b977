import Foundation
import PropertyBased
import Testing
import CotyledonControlProtocol

/// The control protocol's JSON: strict parsing, and printing that Foundation reads back.
@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func parsesARequestLine() throws {
        let value = try parse(#" {"v":1, "command":"scale", "workers":4, "wait":true, "level":null, "x":[1.5e2,-0,"\u00e9\n\ud83d\ude00"]} "#)
        #expect(value["v"] == .number(1))
        #expect(value["command"] == .string("scale"))
        #expect(value["wait"] == .bool(true))
        #expect(value["level"] == .null)
        #expect(value["x"] == .array([.number(150), .number(0), .string("é\n😀")]))
    }

    @Test(arguments: ["", "{", "{\"a\":1,}", "[1 2]", "{'a':1}", "01", "1.", "tru", "\"a\nb\"", "{\"a\":1}x",
                      "{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\x\"", String(repeating: "[", count: 40) + String(repeating: "]", count: 40)])
    func rejects(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try parse(text) }
    }

    @Test func printsCompactTextWithSortedKeysThatFoundationReads() async {
        let pieces = ["\"", "\\", "\n", "\u{01}", "é", "😀", "a\tb", "plain", " "]
        await propertyCheck(count: 200, input: Gen.element(of: pieces).array(of: 0...6), Gen.int(in: -1_000_000...1_000_000), Gen.bool()) { parts, number, flag in
            let text = parts.compactMap { $0 }.joined()
            let value = JSONValue.object(["b": .string(text), "a": .integer(number), "c": .array([.bool(flag), .null, .number(0.25)])])
            let printed = value.text
            #expect(printed.hasPrefix("{\"a\":"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Any])
            #expect(object["b"] as? String == text)
            #expect(object["a"] as? Int == number)
            #expect(try parse(printed) == value)
        }
    }
}
