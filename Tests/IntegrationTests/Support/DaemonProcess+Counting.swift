extension DaemonProcess {
    /// Waits until at least `count` log lines with `event=event` were read, scanning each line
    /// once (``waitForEvents(_:count:from:timeout:where:)`` rescans from the start at every
    /// report of the driver, which is quadratic over the thousands of lines of a crash loop).
    /// - Returns: how many there were when the wait ended.
    @discardableResult
    func waitForEventCount(_ event: String, atLeast count: Int, timeout: Duration) throws -> Int {
        let pid = pid
        var scanned = 0
        var found = 0
        return try driver.wait(
            for: "\(count)× event=\(event) from \(argv.joined(separator: " ")) [\(pid)]", timeout: timeout,
            tail: { $0.outputTail(of: pid) }
        ) { state in
            guard let lines = state.output[pid] else { return nil }
            while scanned < lines.count {
                if lines[scanned].log?.event == event { found += 1 }
                scanned += 1
            }
            return found >= count ? found : nil
        }
    }
}

extension DaemonProcess {
    /// ``waitForEvents(_:count:from:timeout:where:)`` that looks only at the lines from index
    /// `from` on, for loops that wait thousands of times on a long output.
    func waitForNewEvents(
        _ event: String,
        count: Int,
        from: Int,
        timeout: Duration = .seconds(10),
        where predicate: (LogLine) -> Bool = { _ in true }
    ) throws -> [LogLine] {
        let pid = pid
        return try driver.wait(
            for: "\(count)× event=\(event) after line \(from) from \(argv.joined(separator: " ")) [\(pid)]",
            timeout: timeout, tail: { $0.outputTail(of: pid) }
        ) { state in
            guard let lines = state.output[pid], lines.count > from else { return nil }
            var found: [LogLine] = []
            for line in lines[from...] {
                guard let log = line.log, log.event == event, predicate(log) else { continue }
                found.append(log)
                if found.count == count { return found }
            }
            return nil
        }
    }
}
