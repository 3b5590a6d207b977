import Foundation

/// Models written as configuration files for round-trip tests: as JSON, which is YAML too
/// (flow mappings with quoted keys), so the tests need no YAML writer of their own.
enum ConfigurationText {
    static func encode<Model: Encodable>(_ model: Model) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(model), as: UTF8.self)
    }

    /// The model's text with `key: value` added to the mapping at `path` (created if absent).
    static func encode<Model: Encodable>(_ model: Model, adding key: String, _ value: Int, at path: [String]) throws -> String {
        var root = try JSONSerialization.jsonObject(with: Data(encode(model).utf8)) as? [String: Any] ?? [:]
        func add(to mapping: inout [String: Any], _ path: ArraySlice<String>) {
            guard let first = path.first else {
                mapping[key] = value
                return
            }
            var child = mapping[first] as? [String: Any] ?? [:]
            add(to: &child, path.dropFirst())
            mapping[first] = child
        }
        add(to: &root, path[...])
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
