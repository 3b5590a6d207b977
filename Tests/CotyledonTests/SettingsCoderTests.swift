import Testing
@testable import Cotyledon

/// ``SettingsEncoder`` and ``SettingsDecoder`` (and the snapshot's bytes) give back exactly
/// what they were given.
@Suite
struct SettingsCoderTests {
    enum Mode: String, Codable, Equatable { case fast, careful }

    enum Target: Codable, Equatable {
        case file(path: String)
        case network(host: String, port: UInt16)
        case disabled
    }

    struct Limits: Codable, Equatable {
        var int8: Int8 = .min, int16: Int16 = .max, int32: Int32 = .min, int64: Int64 = .min, int: Int = .max
        var uint8: UInt8 = .max, uint16: UInt16 = .max, uint32: UInt32 = .max, uint64: UInt64 = .max, uint: UInt = .max
        var double: Double = .pi, negativeZero: Double = -0.0, infinity: Double = -.infinity
        var tiny: Double = .leastNonzeroMagnitude, huge: Double = .greatestFiniteMagnitude, float: Float = 1 / 3
    }

    struct AppSettings: Codable, Equatable {
        var greeting = "héllo, 世界 👋"
        var enabled = true
        var limits = Limits()
        var timeout: Duration = .milliseconds(1500) + .nanoseconds(7)
        var optionalPresent: Int? = 5
        var optionalAbsent: String?
        var sparse: [Int?] = [1, nil, 3]
        var matrix: [[Double]] = [[1.5, -2], []]
        var byName: [String: Limits] = ["a": Limits(), "b": Limits(int: 7)]
        var byNumber: [Int: String] = [1: "one", -2: "minus two"]
        var mode: Mode = .careful
        var targets: [Target] = [.file(path: "/tmp/x"), .network(host: "::1", port: 8080), .disabled]
        var nothing: [String: Int] = [:]
    }

    @Test("a settings type round-trips exactly: integers at their limits, doubles, optionals, Duration, dictionaries, enums")
    func roundTrip() throws {
        let settings = AppSettings()
        let tree = try SettingsEncoder.encode(settings)
        let decoded = try SettingsDecoder.decode(AppSettings.self, from: tree)
        #expect(decoded == settings)
        #expect(decoded.limits.negativeZero.sign == .minus)
        let fromBytes = try SettingsDecoder.decode(AppSettings.self, from: try SettingsValue(bytes: tree.bytes))
        #expect(fromBytes == settings)
    }

    @Test("top-level primitives and optionals round-trip")
    func primitives() throws {
        #expect(try SettingsDecoder.decode(UInt64.self, from: SettingsEncoder.encode(UInt64.max)) == .max)
        #expect(try SettingsDecoder.decode(String?.self, from: SettingsEncoder.encode(String?.none)) == nil)
        #expect(try SettingsDecoder.decode(Double?.self, from: SettingsEncoder.encode(Double?.some(0.1))) == 0.1)
        #expect(try SettingsDecoder.decode(Bool.self, from: SettingsEncoder.encode(false)) == false)
    }

    @Test("the same value always gives the same bytes")
    func deterministicBytes() throws {
        let first = try SettingsEncoder.encode(AppSettings()).bytes
        let second = try SettingsEncoder.encode(AppSettings()).bytes
        #expect(first == second)
    }

    @Test("a value of another type is a decoding error, not a wrong value")
    func mismatches() throws {
        #expect(throws: DecodingError.self) { try SettingsDecoder.decode(Int8.self, from: SettingsEncoder.encode(300)) }
        #expect(throws: DecodingError.self) { try SettingsDecoder.decode(UInt.self, from: SettingsEncoder.encode(-1)) }
        #expect(throws: DecodingError.self) { try SettingsDecoder.decode(String.self, from: SettingsEncoder.encode(1)) }
        #expect(throws: DecodingError.self) { try SettingsDecoder.decode(Limits.self, from: SettingsEncoder.encode(["int8": 1])) }
    }

    @Test("bytes that are not one whole snapshot are refused", arguments: [
        [UInt8](), [9], [2, 1, 2, 3], [6, 255, 255, 255, 255, 255, 255, 255, 127], [0, 0], [6, 2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28],
    ])
    func corruptedBytes(_ bytes: [UInt8]) {
        #expect(throws: DecodingError.self) { try SettingsValue(bytes: bytes) }
    }

    @Test("containers nested deeper than the bound are refused, not recursed into")
    func depthBound() {
        let oneArrayOfOne: [UInt8] = [7, 1, 0, 0, 0, 0, 0, 0, 0]
        var bytes: [UInt8] = []
        for _ in 0...(SettingsValue.maximumDepth + 1) { bytes += oneArrayOfOne }
        bytes.append(0)
        #expect(throws: DecodingError.self) { try SettingsValue(bytes: bytes) }
    }
}
