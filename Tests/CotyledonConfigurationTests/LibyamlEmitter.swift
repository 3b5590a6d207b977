import CYAML

/// A tree of YAML nodes with the styles to write them in, and libyaml's emitter to write
/// it: the property tests compose what libyaml writes and compare it with the tree.
indirect enum EmittedNode {
    case scalar(String, yaml_scalar_style_t)
    case sequence([EmittedNode], flow: Bool)
    case mapping([(key: String, keyStyle: yaml_scalar_style_t, value: EmittedNode)], flow: Bool)

    /// The YAML text libyaml's emitter writes for the tree, as one document.
    func emitted(width: Int32 = -1) throws -> String {
        let output = EmitterOutput()
        var emitter = yaml_emitter_t()
        guard yaml_emitter_initialize(&emitter) == 1 else { throw EmitterFailure(problem: "initialize") }
        defer { yaml_emitter_delete(&emitter) }
        yaml_emitter_set_unicode(&emitter, 1)
        yaml_emitter_set_width(&emitter, width)
        yaml_emitter_set_output(&emitter, { data, buffer, size in
            let output = Unmanaged<EmitterOutput>.fromOpaque(data!).takeUnretainedValue()
            output.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            return 1
        }, Unmanaged.passUnretained(output).toOpaque())
        try withExtendedLifetime(output) {
            try Self.emit(&emitter) { yaml_stream_start_event_initialize(&$0, YAML_UTF8_ENCODING) }
            try Self.emit(&emitter) { yaml_document_start_event_initialize(&$0, nil, nil, nil, 1) }
            try emit(into: &emitter)
            try Self.emit(&emitter) { yaml_document_end_event_initialize(&$0, 1) }
            try Self.emit(&emitter) { yaml_stream_end_event_initialize(&$0) }
        }
        return String(decoding: output.bytes, as: UTF8.self)
    }

    private func emit(into emitter: inout yaml_emitter_t) throws {
        switch self {
        case .scalar(let text, let style):
            try Self.emitScalar(text, style, into: &emitter)
        case .sequence(let items, let flow):
            let style = flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE
            try Self.emit(&emitter) { yaml_sequence_start_event_initialize(&$0, nil, nil, 1, style) }
            for item in items { try item.emit(into: &emitter) }
            try Self.emit(&emitter) { yaml_sequence_end_event_initialize(&$0) }
        case .mapping(let pairs, let flow):
            let style = flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE
            try Self.emit(&emitter) { yaml_mapping_start_event_initialize(&$0, nil, nil, 1, style) }
            for pair in pairs {
                try Self.emitScalar(pair.key, pair.keyStyle, into: &emitter)
                try pair.value.emit(into: &emitter)
            }
            try Self.emit(&emitter) { yaml_mapping_end_event_initialize(&$0) }
        }
    }

    private static func emitScalar(_ text: String, _ style: yaml_scalar_style_t, into emitter: inout yaml_emitter_t) throws {
        var bytes = Array(text.utf8)
        let count = Int32(bytes.count)
        try emit(&emitter) { event in
            bytes.withUnsafeMutableBufferPointer { yaml_scalar_event_initialize(&event, nil, nil, $0.baseAddress, count, 1, 1, style) }
        }
    }

    private static func emit(_ emitter: inout yaml_emitter_t, _ initialize: (inout yaml_event_t) -> Int32) throws {
        var event = yaml_event_t()
        guard initialize(&event) == 1 else { throw EmitterFailure(problem: "event") }
        guard yaml_emitter_emit(&emitter, &event) == 1 else {
            throw EmitterFailure(problem: emitter.problem.map { String(cString: $0) } ?? "emit")
        }
    }
}

/// The bytes libyaml's emitter wrote.
private final class EmitterOutput {
    var bytes: [UInt8] = []
}

/// libyaml's emitter refused an event.
struct EmitterFailure: Error {
    let problem: String
}
