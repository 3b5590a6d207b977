import Foundation
import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

/// A daemon's own model: nested structs, lists, optionals, every scalar type, synthesized
/// coding keys (not `CaseIterable`).
private struct SampleConfiguration: Decodable, Equatable, ValidatableConfiguration {
    struct Listener: Decodable, Equatable {
        var port: Int
        var host: String?
    }

    var name: String
    var enabled: Bool
    var ratio: Double
    var listeners: [Listener]
    var limits: [String: Int]?

    func validate() throws(ConfigurationError) {
        for (index, listener) in listeners.enumerated() where !(1...65_535).contains(listener.port) {
            throw .invalidValue(["listeners", "[\(index)]", "port"], "must be between 1 and 65535, got \(listener.port)",
                                fix: "set a TCP port")
        }
    }
}

/// A model whose own `init(from:)` rejects a value.
private struct Shouting: Decodable {
    var word: String

    enum CodingKeys: String, CodingKey { case word }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        word = try container.decode(String.self, forKey: .word)
        guard word == word.uppercased() else {
            throw DecodingError.dataCorruptedError(forKey: .word, in: container,
                                                   debugDescription: "'\(word)' is not in capitals — write it in capitals")
        }
    }
}

@Suite struct ConfigurationFileTests {
    static let good = """
        name: demo
        enabled: true
        ratio: 0.5
        listeners:
          - port: 80
            host: localhost
          - port: 8080
        limits:
          files: 1024
        """

    private func load(_ yaml: String) throws(ConfigurationError) -> SampleConfiguration {
        try ConfigurationFile.load(SampleConfiguration.self, yaml: yaml, name: "sample.yaml")
    }

    private func failure(_ yaml: String) -> ConfigurationError? {
        configurationErrorThrown { () throws(ConfigurationError) in try load(yaml) }
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cotyledon-\(UUID().uuidString).yaml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: Good files

    @Test func decodesAGoodFile() throws {
        let configuration = try load(Self.good)
        #expect(configuration == SampleConfiguration(
            name: "demo", enabled: true, ratio: 0.5,
            listeners: [.init(port: 80, host: "localhost"), .init(port: 8080, host: nil)],
            limits: ["files": 1024]))
    }

    @Test func loadsFromAFile() throws {
        let path = try temporaryFile(Array(Self.good.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try ConfigurationFile.load(SampleConfiguration.self, from: path)
        #expect(configuration.name == "demo")
    }

    @Test func acceptsWholeNumbersWhereANumberIsExpectedAndAnyTextWhereAStringIs() throws {
        let configuration = try load("name: 123\nenabled: false\nratio: 2\nlisteners: []\nlimits: ~\n")
        #expect(configuration.name == "123")
        #expect(configuration.ratio == 2)
        #expect(configuration.limits == nil)
    }

    // MARK: Unknown keys

    @Test func rejectsAnUnknownKeyWithItsPathLineColumnAndTheAllowedKeys() throws {
        let error = try #require(failure("""
            name: demo
            enabled: true
            ratio: 1
            listeners:
              - port: 80
                hots: localhost
            """))
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath == ["listeners", "[0]", "hots"])
        #expect(error.line == 6 && error.column == 5)
        #expect(error.description == """
            sample.yaml:6:5: listeners[0].hots: unknown key 'hots' (did you mean 'host'?) — \
            the keys allowed under listeners[0] are port, host; correct or remove it
            """)
    }

    @Test func rejectsAnUnknownTopLevelKey() throws {
        let error = try #require(failure(Self.good + "\ncolour: blue\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath == ["colour"])
        #expect(error.line == 10 && error.column == 1)
        #expect(error.problem == "unknown key 'colour'")
        #expect(error.fix.contains("the keys allowed at the top level are name, enabled, ratio, listeners, limits"))
    }

    @Test func reportsTheFirstUnknownKeyInFileOrder() throws {
        let error = try #require(failure("""
            zzz: 1
            name: demo
            enabled: true
            ratio: 1
            listeners:
              - port: 80
                aaa: 2
            """))
        #expect(error.keyPath == ["zzz"])
        #expect(error.line == 1)
    }

    @Test func reportsAMisspeltRequiredKeyAsUnknownRatherThanMissing() throws {
        let error = try #require(failure("nmae: demo\nenabled: true\nratio: 1\nlisteners: []\n"))
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath == ["nmae"])
        #expect(error.problem == "unknown key 'nmae' (did you mean 'name'?)")
        #expect(error.line == 1)
    }

    // MARK: Wrong types

    @Test func rejectsAWrongTypeWithThePathLineAndExpectedType() throws {
        let error = try #require(failure("name: demo\nenabled: maybe\nratio: 1\nlisteners: []\n"))
        #expect(error.kind == .wrongType)
        #expect(error.keyPath == ["enabled"])
        #expect(error.line == 2 && error.column == 1)
        #expect(error.description == "sample.yaml:2:1: enabled: expected true or false, got the string \"maybe\" — write true or false here")
    }

    @Test func aQuotedNumberIsAString() throws {
        let error = try #require(failure("name: demo\nenabled: true\nratio: \"0.5\"\nlisteners: []\n"))
        #expect(error.kind == .wrongType)
        #expect(error.keyPath == ["ratio"])
        #expect(error.problem == "expected a number, got the quoted string \"0.5\"")
    }

    @Test func aFractionIsNotAWholeNumber() throws {
        let error = try #require(failure("name: demo\nenabled: true\nratio: 1\nlisteners:\n  - port: 80.5\n"))
        #expect(error.kind == .wrongType)
        #expect(error.keyPath == ["listeners", "[0]", "port"])
        #expect(error.line == 5 && error.column == 5)
        #expect(error.problem == "expected a whole number, got the number 80.5")
    }

    @Test func rejectsAMappingWhereAListBelongsAndAListWhereAMappingBelongs() throws {
        let list = try #require(failure("name: demo\nenabled: true\nratio: 1\nlisteners:\n  port: 80\n"))
        #expect(list.kind == .wrongType)
        #expect(list.keyPath == ["listeners"])
        #expect(list.problem.hasPrefix("expected a list"))
        #expect(list.problem.hasSuffix("got a mapping"))

        let mapping = try #require(failure("name: demo\nenabled: true\nratio: 1\nlisteners: []\nlimits: [1, 2]\n"))
        #expect(mapping.keyPath == ["limits"])
        #expect(mapping.problem.hasPrefix("expected a mapping"))
        #expect(mapping.line == 5)
    }

    @Test func rejectsAFileThatIsNotAMapping() throws {
        let error = try #require(failure("- a\n- b\n"))
        #expect(error.kind == .wrongType)
        #expect(error.keyPath.isEmpty)
        #expect(error.line == 1 && error.column == 1)
        #expect(error.description.hasPrefix("sample.yaml:1:1: expected a mapping"))
    }

    @Test func rejectsANullForARequiredValue() throws {
        let error = try #require(failure("name:\nenabled: true\nratio: 1\nlisteners: []\n"))
        #expect(error.kind == .wrongType)
        #expect(error.problem == "expected a string, got no value")
    }

    @Test func rejectsAnIntegerTooLargeForItsType() throws {
        let error = try #require(failure("name: demo\nenabled: true\nratio: 1\nlisteners:\n  - port: 99999999999999999999999\n"))
        #expect(error.kind == .invalidValue)
        #expect(error.keyPath == ["listeners", "[0]", "port"])
        #expect(error.problem.contains("is out of range"))
    }

    // MARK: Missing keys

    @Test func rejectsAMissingRequiredKeyAtItsParentsLine() throws {
        let error = try #require(failure("name: demo\nenabled: true\nratio: 1\nlisteners:\n  - host: localhost\n"))
        #expect(error.kind == .missingKey)
        #expect(error.keyPath == ["listeners", "[0]", "port"])
        #expect(error.line == 5 && error.column == 5)
        #expect(error.description
            == "sample.yaml:5:5: listeners[0].port: required key 'port' is missing — add 'port:' under listeners[0]")
    }

    @Test func rejectsAMissingTopLevelKey() throws {
        let error = try #require(failure("name: demo\nenabled: true\nlisteners: []\n"))
        #expect(error.kind == .missingKey)
        #expect(error.keyPath == ["ratio"])
        #expect(error.fix == "add 'ratio:' at the top level of the file")
    }

    // MARK: Duplicate keys

    @Test func rejectsADuplicateTopLevelKeyNamingBothLines() throws {
        let error = try #require(failure("name: demo\nenabled: true\nname: other\nratio: 1\nlisteners: []\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath == ["name"])
        #expect(error.line == 3 && error.column == 1)
        #expect(error.description
            == "sample.yaml:3:1: name: key 'name' appears more than once in the same mapping (first at line 1) — keep one of them")
    }

    @Test func rejectsADuplicateNestedKeyWithItsPath() throws {
        let error = try #require(failure("""
            name: demo
            enabled: true
            ratio: 1
            listeners:
              - port: 80
              - port: 81
                host: a
                port: 82
            """))
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath == ["listeners", "[1]", "port"])
        #expect(error.line == 8 && error.column == 5)
        #expect(error.problem.contains("(first at line 6)"))
    }

    @Test func rejectsADuplicateKeyInAFlowMappingWithItsColumn() throws {
        let error = try #require(failure("name: demo\nenabled: true\nratio: 1\nlisteners: []\nlimits: {a: 1, \"a\": 2}\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath == ["limits", "a"])
        #expect(error.line == 5 && error.column == 16)
    }

    @Test func rejectsAKeyWrittenThreeTimes() throws {
        let error = try #require(failure("name: a\nname: b\nname: c\nenabled: true\nratio: 1\nlisteners: []\n"))
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath == ["name"])
        #expect(error.line == 2)
        #expect(error.problem.contains("(first at line 1)"))
    }

    // MARK: Empty, unreadable and malformed files

    @Test func rejectsAnEmptyFile() throws {
        for text in ["", "\n\n", "# only a comment\n# and another\n", "---\n"] {
            let error = try #require(failure(text))
            #expect(error.kind == .empty)
            #expect(error.description == "sample.yaml: the file is empty (or holds only comments) — write the settings in it; an editor may have truncated it")
        }
    }

    @Test func rejectsAMissingFileNamingThePathAndTheSystemError() throws {
        let path = "/nonexistent/cotyledon/\(UUID().uuidString).yaml"
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, from: path)
        }
        #expect(error.kind == .unreadable)
        #expect(error.file == path)
        #expect(error.description == "\(path): cannot read the file: No such file or directory (errno 2) — check the path and that the daemon's user may read it")
    }

    @Test(arguments: [("/tmp", "a directory"), ("/dev/null", "a character device")])
    func rejectsWhatIsNotARegularFile(_ path: String, _ kind: String) throws {
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, from: path)
        }
        #expect(error.kind == .unreadable)
        #expect(error.description == "\(path): not a regular file but \(kind) — point to the configuration file itself: only a regular file is read (a pipe or a device could block the master)")
    }

    /// Opening a FIFO for reading blocks until a writer comes, unless it is opened non-blocking.
    @Test(.timeLimit(.minutes(1)))
    func rejectsANamedPipeWithoutWaitingForAWriter() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cotyledon-\(UUID().uuidString).fifo").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, from: path)
        }
        #expect(error.kind == .unreadable)
        #expect(error.problem == "not a regular file but a named pipe (FIFO)")
    }

    @Test func rejectsAFileThatIsNotUTF8() throws {
        let path = try temporaryFile(Array("name: ".utf8) + [0xFF, 0xFE, 0x0A])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, from: path)
        }
        #expect(error.kind == .unreadable)
        #expect(error.description == "\(path): the file is not valid UTF-8 text — save it as UTF-8")
    }

    @Test func rejectsAFileOverTheLimitNamingItsSizeAndTheLimit() throws {
        let size = ConfigurationFile.defaultMaximumSize + 1
        let path = try temporaryFile([UInt8](repeating: 0x23, count: size))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, from: path)
        }
        #expect(error.kind == .unreadable)
        #expect(error.problem == "the file is \(size) bytes, more than the limit of \(ConfigurationFile.defaultMaximumSize) bytes")
    }

    @Test func takesTheLimitItIsGiven() throws {
        let path = try temporaryFile(Array(Self.good.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = Self.good.utf8.count
        _ = try ConfigurationFile.load(SampleConfiguration.self, from: path, maximumSize: size)
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, from: path, maximumSize: size - 1)
        }
        #expect(error.problem == "the file is \(size) bytes, more than the limit of \(size - 1) bytes")
    }

    @Test func rejectsASyntaxErrorWithItsLine() throws {
        let error = try #require(failure("name: demo\nenabled: true\n  ratio: 1\n"))
        #expect(error.kind == .syntax)
        #expect(error.line == 3)
        #expect(error.description.hasPrefix("sample.yaml:3:"))
        #expect(error.fix.contains("indentation"))
    }

    @Test func rejectsAnUnclosedQuote() throws {
        let error = try #require(failure("name: \"demo\nenabled: true\n"))
        #expect(error.kind == .syntax)
        #expect(error.line != nil)
    }

    @Test func rejectsTwoDocuments() throws {
        let error = try #require(failure(Self.good + "\n---\nname: other\n"))
        #expect(error.kind == .syntax)
        #expect(error.problem.contains("more than one YAML document"))
        #expect(error.line == 10)
    }

    // MARK: Validation

    @Test func locatesValidationErrorsAtTheirKey() throws {
        let error = try #require(failure("""
            name: demo
            enabled: true
            ratio: 1
            listeners:
              - port: 80
              - host: localhost
                port: 0
            """))
        #expect(error.kind == .invalidValue)
        #expect(error.keyPath == ["listeners", "[1]", "port"])
        #expect(error.line == 7 && error.column == 5)
        #expect(error.description == "sample.yaml:7:5: listeners[1].port: must be between 1 and 65535, got 0 — set a TCP port")
    }

    @Test func locatesValidationErrorsAboutAbsentKeysAtTheirParent() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, yaml: Self.good, name: "sample.yaml") { (model: SampleConfiguration) throws(ConfigurationError) in
                if model.listeners[1].host == nil {
                    throw .invalidValue(["listeners", "[1]", "host"], "is required for the second listener", fix: "add a host")
                }
            }
        }
        #expect(error.keyPath == ["listeners", "[1]", "host"])
        #expect(error.line == 7 && error.column == 5)
    }

    @Test func runsTheValidateClosureBeforeTheModelsOwnRules() throws {
        var calls = 0
        _ = try ConfigurationFile.load(SampleConfiguration.self, yaml: Self.good, name: "sample.yaml") { _ in calls += 1 }
        #expect(calls == 1)
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, yaml: Self.good.replacingOccurrences(of: "8080", with: "0"), name: "s") { (_: SampleConfiguration) throws(ConfigurationError) in
                throw .invalidValue(["name"], "closure", fix: "none")
            }
        }
        #expect(error.problem == "closure")
        #expect(error.line == 1)
        let modelError = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(SampleConfiguration.self, yaml: Self.good.replacingOccurrences(of: "8080", with: "0"), name: "s") { _ in calls += 1 }
        }
        #expect(modelError.keyPath == ["listeners", "[1]", "port"])
        #expect(calls == 2)
    }

    @Test func locatesErrorsThrownByTheModelsOwnDecoder() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationFile.load(Shouting.self, yaml: "\nword: hello\n", name: "shout.yaml")
        }
        #expect(error.kind == .invalidValue)
        #expect(error.description == "shout.yaml:2:1: word: 'hello' is not in capitals — write it in capitals")
    }

    @Test func rejectsAnchorsAndAliasesSayingWhatToWrite() throws {
        let error = try #require(failure("""
            name: demo
            enabled: true
            ratio: 1
            listeners:
              - &web { port: 80 }
              - *web
            """))
        #expect(error.kind == .syntax)
        #expect(error.line == 5 && error.column == 5)
        #expect(error.problem.contains("anchors"))
        #expect(error.fix.contains("write the value out"))
    }

    @Test func explainsThatYesIsNotABoolean() throws {
        let error = try #require(failure("name: demo\nenabled: yes\nratio: 1\nlisteners: []\n"))
        #expect(error.kind == .wrongType)
        #expect(error.keyPath == ["enabled"])
        #expect(error.problem.contains("YAML 1.2 reads yes, no, on and off as strings"))
        #expect(error.fix == "write true or false here")
    }
}
