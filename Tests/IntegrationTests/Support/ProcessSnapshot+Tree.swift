extension [ProcessSnapshot] {
    /// The processes whose parent is `pid`.
    func children(of pid: Int32) -> [ProcessSnapshot] {
        filter { $0.ppid == pid }
    }

    /// The process `pid`, if listed.
    func process(_ pid: Int32) -> ProcessSnapshot? {
        first { $0.pid == pid }
    }

    /// Worker ids of the children of `master` whose `comm` is `<service>/<id>`, sorted.
    func workerIDs(of master: Int32, service: String) -> [Int] {
        children(of: master).compactMap { child in
            guard child.comm.hasPrefix(service + "/") else { return nil }
            return Int(child.comm.dropFirst(service.count + 1))
        }.sorted()
    }
}
