import CYAML

/// Composes the YAML text of a configuration file into ``YAMLNode``s, from the events of
/// libyaml's parser (the `CYAML` module).
///
/// libyaml reads the YAML syntax; the composer keeps what a configuration needs — one
/// document of mappings, lists and scalars — and refuses the rest with a message that
/// says what to write instead: anchors and aliases, tags, directives, collections used as
/// keys, several documents. A key repeated in one mapping is an error that names both
/// lines. Collections nested deeper than ``maximumDepth`` are refused.
///
/// Each event costs constant time plus the length of its scalar (keys are found through
/// ``YAMLMapping``'s hashed index), so composing is linear in the size of the text: the
/// master composes its configuration at every reload, and a large file must not freeze it.
struct YAMLComposer {
    /// Collections nested deeper than this are refused: a configuration is a few levels
    /// deep, and a hostile file must not make the master build an absurd tree.
    static let maximumDepth = 64

    /// A mapping or list whose end event has not come yet.
    private struct OpenCollection {
        let isMapping: Bool
        let start: TextPosition
        var mapping = YAMLMapping()
        var items: [YAMLNode] = []
        /// In a mapping: the key whose value is being composed.
        var pendingKey: (text: String, position: TextPosition)?
    }

    private var open: [OpenCollection] = []
    private var root: YAMLNode?
    private var documents = 0

    /// The single document in `text`, or `nil` when the text holds none (blank, comments only).
    static func compose(_ text: String) throws(ConfigurationError) -> YAMLNode? {
        var text = text
        let result = text.withUTF8 { bytes in
            var composer = YAMLComposer()
            return Result { () throws(ConfigurationError) in try composer.compose(bytes) }
        }
        return try result.get()
    }

    private mutating func compose(_ bytes: UnsafeBufferPointer<UInt8>) throws(ConfigurationError) -> YAMLNode? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        // On the heap: libyaml's string input keeps a pointer to the parser itself.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLComposer.error("libyaml could not allocate its parser", fix: "retry; the system is out of memory",
                                     at: TextPosition(line: 1, column: 1))
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_input_string(parser, base, bytes.count)
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else {
                throw YAMLComposer.syntaxError(of: parser.pointee, in: bytes)
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return root }
            try handle(event)
        }
    }

    private mutating func handle(_ event: yaml_event_t) throws(ConfigurationError) {
        let position = TextPosition(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            try startDocument(event, at: position)
        case YAML_ALIAS_EVENT:
            throw YAMLComposer.error("aliases (*name) are not supported", fix: "write the value out in full where it is needed",
                                     at: position, keyPath: keyPath())
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            try refuseProperties(anchor: scalar.anchor, tag: scalar.tag, at: position)
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            try attach(YAMLNode(content: .scalar(YAMLScalar(text: text, style: YAMLScalar.Style(scalar.style))), position: position))
        case YAML_SEQUENCE_START_EVENT:
            try refuseProperties(anchor: event.data.sequence_start.anchor, tag: event.data.sequence_start.tag, at: position)
            try openCollection(isMapping: false, at: position)
        case YAML_MAPPING_START_EVENT:
            try refuseProperties(anchor: event.data.mapping_start.anchor, tag: event.data.mapping_start.tag, at: position)
            try openCollection(isMapping: true, at: position)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let collection = open.removeLast()
            let content: YAMLNode.Content = collection.isMapping ? .mapping(collection.mapping) : .sequence(collection.items)
            try attach(YAMLNode(content: content, position: collection.start))
        default:
            break // stream start, document end
        }
    }

    private mutating func startDocument(_ event: yaml_event_t, at position: TextPosition) throws(ConfigurationError) {
        let start = event.data.document_start
        documents += 1
        guard documents == 1 else {
            throw YAMLComposer.error("the file holds more than one YAML document (a second '---')",
                                     fix: "keep one document: the configuration is one mapping", at: position)
        }
        guard start.version_directive == nil, start.tag_directives.start == start.tag_directives.end else {
            throw YAMLComposer.error("directives (%YAML, %TAG) are not supported", fix: "remove this line", at: position)
        }
    }

    private func refuseProperties(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
                                  at position: TextPosition) throws(ConfigurationError) {
        if anchor != nil {
            throw YAMLComposer.error("anchors (&name) are not supported", fix: "write the value out in full where it is needed",
                                     at: position, keyPath: keyPath())
        }
        if tag != nil {
            throw YAMLComposer.error("tags (!name) are not supported", fix: "remove the tag; quote the value to make it a string",
                                     at: position, keyPath: keyPath())
        }
    }

    private mutating func openCollection(isMapping: Bool, at position: TextPosition) throws(ConfigurationError) {
        if let top = open.last, top.isMapping, top.pendingKey == nil {
            throw YAMLComposer.error("a \(isMapping ? "mapping" : "list") cannot be a key",
                                     fix: "write `key: value` with a plain or quoted key", at: position, keyPath: keyPath())
        }
        guard open.count < Self.maximumDepth else {
            throw YAMLComposer.error("values nested more than \(Self.maximumDepth) levels deep",
                                     fix: "flatten the structure: a configuration needs a few levels", at: position,
                                     keyPath: keyPath())
        }
        open.append(OpenCollection(isMapping: isMapping, start: position))
    }

    /// Puts a finished node where it belongs: the root, a list's next item, a mapping's
    /// next key, or the value of the mapping's pending key.
    private mutating func attach(_ node: YAMLNode) throws(ConfigurationError) {
        let top = open.count - 1
        guard top >= 0 else {
            root = node
            return
        }
        guard open[top].isMapping else {
            open[top].items.append(node)
            return
        }
        guard let key = open[top].pendingKey else {
            try takeKey(node)
            return
        }
        open[top].pendingKey = nil
        _ = open[top].mapping.insert(YAMLPair(key: key.text, keyPosition: key.position, value: node))
    }

    /// Makes `node` (a scalar: collections are refused when they open) the pending key of
    /// the innermost mapping, refusing an empty key and a key the mapping already has.
    private mutating func takeKey(_ node: YAMLNode) throws(ConfigurationError) {
        let top = open.count - 1
        let key = node.scalar?.text ?? ""
        if key.isEmpty, node.scalar?.style == .plain {
            throw YAMLComposer.error("a mapping key is empty", fix: "write the key before the colon: `key: value`", at: node.position,
                                     keyPath: keyPath())
        }
        if let first = open[top].mapping[key] {
            throw ConfigurationError(
                kind: .duplicateKey, keyPath: keyPath() + [key], line: node.position.line, column: node.position.column,
                problem: "key '\(ConfigurationError.excerpt(key))' appears more than once in the same mapping (first at line \(first.keyPosition.line))",
                fix: "keep one of them")
        }
        open[top].pendingKey = (key, node.position)
    }

    /// The keys leading to the node being composed (list items as `[n]`).
    private func keyPath() -> [String] {
        open.compactMap { collection in
            collection.isMapping ? collection.pendingKey?.text : "[\(collection.items.count)]"
        }
    }
}
