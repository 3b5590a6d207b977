import Glibc

/// Which file an upgrade runs: the path the daemon was started from, resolved once at
/// start without following symbolic links, so that a deploy that swaps a link or renames
/// a new file over the old path is picked up.
enum UpgradeExecutable {
    /// The absolute path for `argv0`: made absolute against `directory` when it holds a
    /// `/`, else the first executable match in `searchPath` (`PATH`), else `fallback`
    /// (the target of `/proc/self/exe`).
    static func resolve(argv0: String, directory: String?, searchPath: String?, fallback: () -> String?) -> String? {
        if argv0.contains("/") {
            if argv0.hasPrefix("/") { return argv0 }
            guard let directory else { return fallback() }
            let relative = argv0.hasPrefix("./") ? String(argv0.dropFirst(2)) : argv0
            return directory.hasSuffix("/") ? directory + relative : "\(directory)/\(relative)"
        }
        if !argv0.isEmpty, let searchPath {
            for entry in searchPath.split(separator: ":", omittingEmptySubsequences: true) where entry.hasPrefix("/") {
                let candidate = "\(entry)/\(argv0)"
                if Syscall.isExecutable(candidate) { return candidate }
            }
        }
        return fallback()
    }

    /// The path for this process, from its `argv[0]`, working directory and `PATH`: called
    /// as early as the library runs (the manager's creation), before user code may change
    /// the working directory.
    static func ofThisProcess(arguments: [String]) -> String? {
        resolve(argv0: arguments.first ?? "", directory: Syscall.currentDirectory(),
                       searchPath: getenv("PATH").map { String(cString: $0) },
                       fallback: { try? Syscall.linkTarget("/proc/self/exe", maximumLength: Int(PATH_MAX)) })
    }
}
