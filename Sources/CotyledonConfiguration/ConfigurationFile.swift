import Cotyledon
import Glibc
import SystemPackage

/// Loads a YAML configuration file into any `Decodable` model, strictly.
///
/// ```swift
/// struct DaemonConfiguration: Decodable, ValidatableConfiguration {
///     var manager: ManagerConfiguration
///     var greeting: String
///     func validate() throws(ConfigurationError) {
///         do throws(ConfigurationError) { try manager.validate(knownServices: ["printer"]) } catch { throw error.nested(under: ["manager"]) }
///     }
/// }
/// let configuration = try ConfigurationFile.load(DaemonConfiguration.self, from: "config/daemon.yaml")
/// ```
///
/// Every mistake is a ``ConfigurationError`` that names the file, the key path, the line
/// and column and the fix; the checks run in this order:
///
/// 1. the file is a regular file that can be read, is at most ``defaultMaximumSize``
///    bytes (or the limit given to ``load(_:from:maximumSize:validate:)``) of UTF-8 and is
///    not empty;
/// 2. it is one YAML document without syntax errors or duplicate keys, as libyaml reads
///    it, without anchors, aliases, tags or several documents (each of those is an error
///    that says what to write instead);
/// 3. the model decodes from it: every required key is there and every value has the
///    type the model reads (`"2"` in quotes is a string, not a number; a number is not a
///    boolean); errors thrown by the model's own `init(from:)` are located too;
/// 4. every key in every mapping the model read was asked for by the model: anything
///    else is an unknown key (a misspelt key never silently falls back to a default);
/// 5. the `validate` closure, then ``ValidatableConfiguration/validate()`` when the
///    model conforms; their errors carry only a key path and are given the line and
///    column of that key in the file (or of its closest parent, for a key the file
///    leaves out).
///
/// The key names are the model's `CodingKey` strings, as they are: write them in
/// snake_case (`min_workers`) in the `CodingKeys` enum. A `CodingKeys` enum that is
/// `CaseIterable` lets messages list every allowed key, even when decoding stopped early.
///
/// - Important: loading is pure parsing on the calling thread: it starts no thread, task
///   or Dispatch queue, so the master may load (and reload) its configuration before and
///   after `ServiceManager.run()` without breaking its single-threaded rule.
public enum ConfigurationFile {
    /// The largest file ``load(_:from:maximumSize:validate:)`` accepts unless it is given
    /// another limit, in bytes (1 MiB): a configuration file is small, and a wrong path must
    /// not make the master read (and parse) megabytes at every reload.
    public static let defaultMaximumSize = 1 << 20

    /// Reads, decodes and validates the YAML file at `path`.
    ///
    /// - Parameters:
    ///   - type: the model to decode.
    ///   - path: the file; messages name it as it is given here. It must be a regular
    ///     file: a named pipe, a directory or a device is refused without being read.
    ///   - maximumSize: the largest file accepted, in bytes; a larger one is refused with
    ///     its size and the limit, without being parsed.
    ///   - validate: extra checks that need information the model lacks, such as the
    ///     services the daemon runs (``Cotyledon/ManagerConfiguration/validate(knownServices:knownListeners:)``).
    ///     It runs before the model's own ``ValidatableConfiguration/validate()``, so an
    ///     unknown service is reported before a bad setting inside it.
    /// - Returns: the decoded, validated model.
    /// - Throws: ``ConfigurationError`` for the first mistake found.
    public static func load<Model: Decodable>(
        _ type: Model.Type,
        from path: String,
        maximumSize: Int = defaultMaximumSize,
        validate: (Model) throws(ConfigurationError) -> Void = { _ in }
    ) throws(ConfigurationError) -> Model {
        let text = try read(path, maximumSize: maximumSize)
        return try load(type, yaml: text, name: path, validate: validate)
    }

    /// Decodes and validates YAML text, as ``load(_:from:maximumSize:validate:)`` does with a file's.
    ///
    /// - Parameters:
    ///   - type: the model to decode.
    ///   - yaml: the text.
    ///   - name: how messages name the text, usually the file it came from.
    ///   - validate: extra checks, run before the model's own
    ///     ``ValidatableConfiguration/validate()``.
    /// - Returns: the decoded, validated model.
    /// - Throws: ``ConfigurationError`` for the first mistake found.
    public static func load<Model: Decodable>(
        _ type: Model.Type,
        yaml: String,
        name: String,
        validate: (Model) throws(ConfigurationError) -> Void = { _ in }
    ) throws(ConfigurationError) -> Model {
        let root = try compose(yaml, name: name)
        let ledger = NodeDecodingLedger()
        let model: Model
        do {
            model = try NodeDecoder(node: root, keyPath: [], codingPath: [], ledger: ledger).decode(type)
        } catch {
            var failure = configurationError(from: error)
            if failure.kind == .missingKey, let misspelt = misspeltKey(for: failure, in: ledger) {
                failure = misspelt
            }
            throw located(failure, in: root, name: name)
        }
        if let unknown = ledger.firstUnknownKey() {
            throw located(unknownKeyError(unknown.name, at: unknown.position, in: unknown.record), in: root, name: name)
        }
        do throws(ConfigurationError) {
            try validate(model)
            if let validatable = model as? any ValidatableConfiguration {
                try validatable.validate()
            }
        } catch {
            throw located(error, in: root, name: name)
        }
        return model
    }

    // MARK: Reading and composing

    /// The text of the file at `path`, which must be a regular file of at most
    /// `maximumSize` bytes.
    ///
    /// The file is opened non-blocking and checked before a byte is read: a named pipe
    /// would block the master in `open` or `read` until a writer came, a device or a
    /// directory is never a configuration. The read is bounded by the cap too, in case the
    /// file grows between the check and the read.
    static func read(_ path: String, maximumSize: Int) throws(ConfigurationError) -> String {
        func unreadable(_ problem: String, _ fix: String) -> ConfigurationError {
            ConfigurationError(kind: .unreadable, file: path, problem: problem, fix: fix)
        }
        let sizeFix = "point to the configuration file, not another file (a daemon that needs larger files passes a higher maximumSize to ConfigurationFile.load)"
        let bytes: [UInt8]
        do {
            let descriptor = FileDescriptor(rawValue: try Syscall.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY))
            defer { Syscall.close(descriptor) }
            let status = try Syscall.status(of: descriptor.rawValue)
            let kind = FileKind(mode: status.st_mode)
            guard kind == .regularFile else {
                throw unreadable("not a regular file but \(kind.phrase)",
                                 "point to the configuration file itself: only a regular file is read (a pipe or a device could block the master)")
            }
            guard status.st_size <= maximumSize else {
                throw unreadable("the file is \(status.st_size) bytes, more than the limit of \(maximumSize) bytes", sizeFix)
            }
            bytes = try readBounded(descriptor, maximumSize: maximumSize)
        } catch let errno as Errno {
            throw unreadable("cannot read the file: \(errno) (errno \(errno.rawValue))",
                             "check the path and that the daemon's user may read it")
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw unreadable("cannot read the file: \(error)", "check the path and that the daemon's user may read it")
        }
        guard bytes.count <= maximumSize else {
            throw unreadable("the file grew past the limit of \(maximumSize) bytes while it was read", sizeFix)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw unreadable("the file is not valid UTF-8 text", "save it as UTF-8")
        }
        return text
    }

    /// Reads to the end of the file, or until more than `maximumSize` bytes were read.
    private static func readBounded(_ descriptor: FileDescriptor, maximumSize: Int) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: maximumSize < 64 * 1024 ? max(maximumSize, 0) + 1 : 64 * 1024)
        while bytes.count <= maximumSize {
            // A regular file never makes a read wait; `nil` (EAGAIN) cannot happen.
            guard let count = try Syscall.read(descriptor, into: &chunk), count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// The single document in `yaml`, or the syntax, duplicate-key or empty-file error.
    static func compose(_ yaml: String, name: String) throws(ConfigurationError) -> YAMLNode {
        let root: YAMLNode?
        do {
            root = try YAMLComposer.compose(yaml)
        } catch {
            var failure = error
            failure.file = name
            throw failure
        }
        guard let root, !NodeDecoder(node: root, keyPath: [], codingPath: [], ledger: NodeDecodingLedger()).decodeNil() else {
            throw ConfigurationError(kind: .empty, file: name, problem: "the file is empty (or holds only comments)",
                                     fix: "write the settings in it; an editor may have truncated it")
        }
        return root
    }

    // MARK: Errors

    /// Any error from decoding, as a ``ConfigurationError`` with the key path it is about.
    static func configurationError(from error: any Error) -> ConfigurationError {
        switch error {
        case let error as ConfigurationError:
            return error
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            return ConfigurationError(kind: .wrongType, keyPath: keyPath(context.codingPath),
                                      problem: "expected a value of type \(type): \(context.debugDescription)",
                                      fix: "write a value of that type")
        case DecodingError.keyNotFound(let key, let context):
            return ConfigurationError(kind: .missingKey, keyPath: keyPath(context.codingPath + [key]),
                                      problem: "required key '\(key.stringValue)' is missing", fix: "add it")
        case DecodingError.dataCorrupted(let context):
            let parts = context.debugDescription.split(separator: " — ", maxSplits: 1).map(String.init)
            return ConfigurationError(kind: .invalidValue, keyPath: keyPath(context.codingPath),
                                      problem: parts.first ?? "invalid value",
                                      fix: parts.count > 1 ? parts[1] : "correct the value")
        default:
            return ConfigurationError(kind: .invalidValue, problem: "\(error)", fix: "correct the value")
        }
    }

    /// A coding path as key-path strings, list indices as `[n]`.
    static func keyPath(_ codingPath: [any CodingKey]) -> [String] {
        codingPath.map { key in
            if key is NodeIndexKey, let index = key.intValue { return "[\(index)]" }
            return key.stringValue
        }
    }

    /// When a required key is missing and its mapping has a key the model does not know
    /// that looks like it (or the model lists all its keys and one is unknown), the
    /// unknown key is the real mistake: `wrokers: 2` rather than "workers is missing".
    private static func misspeltKey(for failure: ConfigurationError, in ledger: NodeDecodingLedger) -> ConfigurationError? {
        guard let missing = failure.keyPath.last, let record = ledger.record(at: Array(failure.keyPath.dropLast())) else { return nil }
        for (name, position) in NodeDecodingLedger.unknownKeys(of: record) {
            if record.isComplete || KeySuggestion.closest(to: name, among: [missing]) != nil {
                return unknownKeyError(name, at: position, in: record)
            }
        }
        return nil
    }

    private static func unknownKeyError(_ name: String, at position: TextPosition, in record: NodeDecodingLedger.Record) -> ConfigurationError {
        var problem = "unknown key '\(ConfigurationError.excerpt(name))'"
        if let suggestion = KeySuggestion.closest(to: name, among: record.allowedKeys) {
            problem += " (did you mean '\(suggestion)'?)"
        }
        let place = record.keyPath.isEmpty ? "at the top level" : "under \(ConfigurationError.dotted(record.keyPath))"
        let fix = record.allowedKeys.isEmpty
            ? "remove it: nothing is read \(place)"
            : "the keys allowed \(place) are \(record.allowedKeys.joined(separator: ", ")); correct or remove it"
        return ConfigurationError(kind: .unknownKey, keyPath: record.keyPath + [name],
                                  line: position.line, column: position.column, problem: problem, fix: fix)
    }

    /// The error with the file's name, and the line and column of its key path if it has none.
    private static func located(_ error: ConfigurationError, in root: YAMLNode, name: String) -> ConfigurationError {
        var error = error
        error.file = name
        if error.line == nil {
            let position = NodeLocation.position(of: error.keyPath, in: root) ?? root.position
            error.line = position.line
            error.column = position.column
        }
        return error
    }
}
