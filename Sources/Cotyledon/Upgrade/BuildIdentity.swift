import CCotyledonLinux

/// Which build of the daemon a process runs: the application's version, if it set one
/// (``ServiceManager/version``), and the executable's GNU build-id, which the linker derives
/// from the program's contents, so two different builds of one version still differ.
///
/// `status` reports it for the master and for each worker, so that during and after an
/// in-place upgrade an operator sees which workers run which build.
struct BuildIdentity: Equatable, Sendable, CustomStringConvertible {
    /// How many hexadecimal digits of the build-id are shown, as `git` shortens commit ids.
    static let shownDigits = 12

    /// The application's version (`1.4.0`), if it set one.
    let version: String?
    /// The first ``shownDigits`` hexadecimal digits of the executable's build-id; `nil` when
    /// the program was linked without one.
    let buildID: String?

    /// The identity of the running executable with `version`.
    static func ofThisExecutable(version: String?) -> BuildIdentity {
        BuildIdentity(version: version, buildID: executableBuildID)
    }

    /// The running executable's build-id, read once from its own program headers.
    private static let executableBuildID: String? = {
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = Int(ccotyledon_build_id(&bytes, bytes.count))
        guard count > 0 else { return nil }
        let digits = bytes.prefix(count).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        return String(digits.prefix(shownDigits))
    }()

    /// `1.4.0 (build 3f2a9c1b7d4e)`, `build 3f2a9c1b7d4e` without a version, the version
    /// alone without a build-id, `unknown` without either.
    var description: String {
        switch (version, buildID) {
        case let (version?, build?): "\(version) (build \(build))"
        case let (nil, build?): "build \(build)"
        case let (version?, nil): version
        case (nil, nil): "unknown"
        }
    }
}
