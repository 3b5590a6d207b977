/// A node of a composed YAML document, with the place it starts in the text.
///
/// ``YAMLComposer`` builds it from libyaml's events; keys are always scalars, so a
/// mapping is a ``YAMLMapping`` of ``YAMLPair``s in file order.
struct YAMLNode: Equatable {
    /// What the node holds.
    enum Content: Equatable {
        case scalar(YAMLScalar)
        case mapping(YAMLMapping)
        case sequence([YAMLNode])
    }

    var content: Content
    /// Where the node starts: the first character of a scalar (its quote, if quoted), the
    /// first key of a block mapping, the first `-` of a block list, the opening bracket of
    /// a flow collection.
    var position: TextPosition

    /// The scalar, if the node is one.
    var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }
}

/// One `key: value` entry of a mapping.
struct YAMLPair: Equatable {
    /// The key's text, after unquoting.
    var key: String
    /// Where the key is written.
    var keyPosition: TextPosition
    var value: YAMLNode
}
