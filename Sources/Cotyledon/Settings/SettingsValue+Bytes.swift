/// The snapshot's byte form: a tag byte per value, fixed-width little-endian numbers,
/// strings and containers prefixed with their count. Keys are written sorted, so one value
/// always gives the same bytes.
extension SettingsValue {
    /// The first byte of each value: its kind.
    private enum Tag: UInt8 {
        case null, bool, int, uint, double, string, array, keyed
    }

    /// How deep containers may nest when bytes are read back: far more than any settings
    /// type, and a bound for bytes that are not a snapshot.
    static let maximumDepth = 256

    /// The value as bytes.
    var bytes: [UInt8] {
        var output: [UInt8] = []
        append(to: &output)
        return output
    }

    /// Reads a value from `bytes`, all of which it must use.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the bytes are not one whole value.
    init(bytes: [UInt8]) throws {
        var reader = SettingsByteReader(bytes: bytes)
        self = try reader.value(depth: 0)
        guard reader.isAtEnd else { throw SettingsByteReader.corrupted("bytes after the end of the snapshot") }
    }

    /// Appends the value's bytes to `output`.
    private func append(to output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(Tag.null.rawValue)
        case .bool(let value):
            output.append(contentsOf: [Tag.bool.rawValue, value ? 1 : 0])
        case .int(let value):
            output.append(Tag.int.rawValue)
            Self.append(UInt64(bitPattern: value), to: &output)
        case .uint(let value):
            output.append(Tag.uint.rawValue)
            Self.append(value, to: &output)
        case .double(let value):
            output.append(Tag.double.rawValue)
            Self.append(value.bitPattern, to: &output)
        case .string(let value):
            output.append(Tag.string.rawValue)
            Self.append(value, to: &output)
        case .array(let values):
            output.append(Tag.array.rawValue)
            Self.append(UInt64(values.count), to: &output)
            for value in values { value.append(to: &output) }
        case .keyed(let values):
            output.append(Tag.keyed.rawValue)
            Self.append(UInt64(values.count), to: &output)
            for key in values.keys.sorted() {
                Self.append(key, to: &output)
                values[key]!.append(to: &output)
            }
        }
    }

    /// Appends `number`, little-endian.
    private static func append(_ number: UInt64, to output: inout [UInt8]) {
        withUnsafeBytes(of: number.littleEndian) { output.append(contentsOf: $0) }
    }

    /// Appends `string`'s UTF-8 length, then its bytes.
    private static func append(_ string: String, to output: inout [UInt8]) {
        let utf8 = Array(string.utf8)
        append(UInt64(utf8.count), to: &output)
        output.append(contentsOf: utf8)
    }

    /// Reads values back from ``bytes``, checking every length against what is left.
    struct SettingsByteReader {
        /// The snapshot.
        let bytes: [UInt8]
        /// Where the next read starts.
        private var offset = 0

        /// A reader at the start of `bytes`.
        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        /// Whether every byte was read.
        var isAtEnd: Bool { offset == bytes.count }

        /// The error for bytes that are not a snapshot.
        static func corrupted(_ problem: String) -> DecodingError {
            .dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: "the settings snapshot is corrupted: \(problem)"))
        }

        /// The value starting at the current position, `depth` containers down.
        mutating func value(depth: Int) throws -> SettingsValue {
            guard depth <= SettingsValue.maximumDepth else { throw Self.corrupted("containers nested too deep") }
            guard let tag = Tag(rawValue: try byte()) else { throw Self.corrupted("unknown tag at byte \(offset - 1)") }
            switch tag {
            case .null: return .null
            case .bool: return .bool(try byte() != 0)
            case .int: return .int(Int64(bitPattern: try number()))
            case .uint: return .uint(try number())
            case .double: return .double(Double(bitPattern: try number()))
            case .string: return .string(try string())
            case .array:
                let count = try readCount()
                var values: [SettingsValue] = []
                for _ in 0..<count { values.append(try value(depth: depth + 1)) }
                return .array(values)
            case .keyed:
                let count = try readCount()
                var values: [String: SettingsValue] = [:]
                for _ in 0..<count {
                    let key = try string()
                    values[key] = try value(depth: depth + 1)
                }
                return .keyed(values)
            }
        }

        /// One byte.
        private mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw Self.corrupted("it ends in the middle of a value") }
            offset += 1
            return bytes[offset - 1]
        }

        /// A little-endian 64-bit number.
        private mutating func number() throws -> UInt64 {
            guard bytes.count - offset >= 8 else { throw Self.corrupted("it ends in the middle of a number") }
            var number: UInt64 = 0
            for index in (0..<8).reversed() { number = number << 8 | UInt64(bytes[offset + index]) }
            offset += 8
            return number
        }

        /// A count of elements or bytes, which cannot exceed the bytes left (each element takes one at least).
        private mutating func readCount() throws -> Int {
            let count = try number()
            guard count <= UInt64(bytes.count - offset) else { throw Self.corrupted("a count larger than the snapshot") }
            return Int(count)
        }

        /// A count-prefixed UTF-8 string.
        private mutating func string() throws -> String {
            let length = try readCount()
            let utf8 = bytes[offset..<offset + length]
            offset += length
            guard let string = String(validating: utf8, as: UTF8.self) else { throw Self.corrupted("a string that is not UTF-8") }
            return string
        }
    }
}
