import Glibc
import SystemPackage

/// The check run of an upgrade (the new executable in check mode), which the master
/// watches from its loop: its output pipe (non-blocking, in epoll), its exit (reaped with
/// the workers) and its deadline.
final class UpgradeCheck {
    /// The most output kept: the last bytes, for the refusal's reason.
    static let maximumOutput = 8 * 1024
    /// What a passing check prints first on its line.
    static let okPrefix = "cotyledon-upgrade-check ok"

    /// The executable checked, and run if it passes.
    let path: String
    /// The check run's pid, also its process group id.
    let pid: pid_t
    /// The read end of its output pipe; `nil` once it reached end of file.
    var output: FileDescriptor?
    /// The last ``maximumOutput`` bytes it wrote.
    private(set) var text: [UInt8] = []
    /// A reload was asked for during the check: it runs after the upgrade (in the new image)
    /// or after the refusal.
    var reloadQueued = false
    /// Its deadline passed and its group was killed.
    var timedOut = false
    /// Why the master could not watch it (its group was killed), if it could not.
    var failure: String?

    init(path: String, pid: pid_t, output: FileDescriptor) {
        self.path = path
        self.pid = pid
        self.output = output
    }

    /// Keeps `bytes` of its output, dropping the oldest beyond ``maximumOutput``.
    func append(_ bytes: ArraySlice<UInt8>) {
        text += bytes
        if text.count > Self.maximumOutput { text.removeFirst(text.count - Self.maximumOutput) }
    }

    /// What the check decided, from its output and how it ended.
    enum Verdict: Equatable {
        /// It passed: the new build's description (after `build=`).
        case pass(build: String)
        /// It failed, for `reason`.
        case refuse(reason: String)
    }

    /// The verdict of a check run of `path` that printed `output` and ended with `status`:
    /// a pass only for exit status 0 and a line starting with the ok text. The reason of a
    /// refusal says what failed and quotes the last line of the output.
    static func verdict(path: String, output: [UInt8], status: WorkerExitStatus) -> Verdict {
        let lines = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: " \t\r") }.filter { !$0.isEmpty }
        let last = lines.last.map { ": \($0)" } ?? " (no output)"
        guard case .exited(code: 0) = status else {
            return .refuse(reason: "the check of \(path) \(status)\(last)")
        }
        guard let ok = lines.last(where: { $0.hasPrefix(okPrefix) }) else {
            return .refuse(reason: "the check of \(path) printed no \"\(okPrefix)\" line\(last)")
        }
        let marker = " build="
        let words = ok.split(separator: " ", maxSplits: 2)
        let build = ok.count > okPrefix.count && words.count == 3 && words[2].hasPrefix(marker.dropFirst())
            ? String(words[2].dropFirst(marker.count - 1)) : "unknown"
        return .pass(build: build)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var text = self
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
