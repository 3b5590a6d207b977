internal import Yams

extension Node {
    /// The node's YAML type after implicit resolution (`2` is `int`, `"2"` is `str`).
    var resolvedTagName: Tag.Name {
        Tag.Name(rawValue: tag.rawValue)
    }
}
