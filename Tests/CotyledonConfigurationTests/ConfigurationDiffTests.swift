import Logging
import PropertyBased
import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

/// Random configurations drawn from small sets of values, so that equal services,
/// services that differ only in workers and services that differ otherwise all come up often.
private enum RandomConfiguration {
    static let names = ["printer", "echo", "web", "jobs", "mail"]

    static func service(_ rng: inout any SeededRandomNumberGenerator) -> ServiceConfiguration {
        let minWorkers = Int.random(in: 1...2, using: &rng)
        var restart = RestartPolicy.default
        if Bool.random(using: &rng) { restart.jitter = [0, 0.5, 1].randomElement(using: &rng)! }
        if Bool.random(using: &rng) { restart.initialDelay = .milliseconds(250) }
        return ServiceConfiguration(
            workers: Int.random(in: minWorkers...4, using: &rng),
            minWorkers: minWorkers,
            maxWorkers: [4, 10_000].randomElement(using: &rng)!,
            gracefulShutdownTimeout: [nil, .seconds(10), .milliseconds(1500)].randomElement(using: &rng)!,
            readinessTimeout: [.seconds(30), .seconds(5)].randomElement(using: &rng)!,
            restart: restart)
    }

    /// `service` with a few settings redrawn: sometimes none, sometimes only workers.
    static func variant(of service: ServiceConfiguration, _ rng: inout any SeededRandomNumberGenerator) -> ServiceConfiguration {
        var variant = service
        switch Int.random(in: 0...3, using: &rng) {
        case 0: break
        case 1: variant.workers = Int.random(in: variant.minWorkers...min(variant.maxWorkers, 4), using: &rng)
        default:
            let other = self.service(&rng)
            if Bool.random(using: &rng) { variant.workers = other.workers }
            if Bool.random(using: &rng) { variant.minWorkers = other.minWorkers }
            if Bool.random(using: &rng) { variant.maxWorkers = other.maxWorkers }
            if Bool.random(using: &rng) { variant.gracefulShutdownTimeout = other.gracefulShutdownTimeout }
            if Bool.random(using: &rng) { variant.readinessTimeout = other.readinessTimeout }
            if Bool.random(using: &rng) { variant.restart = other.restart }
            variant.workers = min(max(variant.workers, variant.minWorkers), variant.maxWorkers)
            variant.minWorkers = min(variant.minWorkers, variant.maxWorkers)
        }
        return variant
    }

    static func manager(_ rng: inout any SeededRandomNumberGenerator) -> ManagerConfiguration {
        var services: [String: ServiceConfiguration] = [:]
        for name in names where Bool.random(using: &rng) { services[name] = service(&rng) }
        return ManagerConfiguration(
            logLevel: [.info, .debug, .warning].randomElement(using: &rng)!,
            gracefulShutdownTimeout: [.seconds(60), .seconds(5)].randomElement(using: &rng)!,
            startupTimeout: [.seconds(90), nil, .milliseconds(500)].randomElement(using: &rng)!,
            services: services)
    }

    /// A configuration and a reload of it: some services kept, some changed, some removed, some added.
    static func reload(of old: ManagerConfiguration, _ rng: inout any SeededRandomNumberGenerator) -> ManagerConfiguration {
        var new = Bool.random(using: &rng) ? old : manager(&rng)
        new.services = [:]
        for name in names {
            switch (old.services[name], Int.random(in: 0...2, using: &rng)) {
            case (let service?, 0): new.services[name] = variant(of: service, &rng)
            case (_?, 1): break
            case (nil, 0): new.services[name] = service(&rng)
            case (let service, _): new.services[name] = service
            }
        }
        return new
    }

    static let one = Generator<ManagerConfiguration, Shrink.None<ManagerConfiguration>> { rng in manager(&rng) }

    static let pair = Generator<ManagerPair, Shrink.None<ManagerPair>> { rng in
        let old = manager(&rng)
        return ManagerPair(old: old, new: reload(of: old, &rng))
    }
}

private struct ManagerPair: Sendable, CustomStringConvertible {
    var old: ManagerConfiguration
    var new: ManagerConfiguration
    var description: String { "old: \(old)\nnew: \(new)" }
}

@Suite struct ConfigurationDiffTests {
    // MARK: Examples

    @Test func classifiesEachKindOfChange() {
        let old = ManagerConfiguration(services: [
            "same": ServiceConfiguration(workers: 2),
            "grows": ServiceConfiguration(workers: 2),
            "retuned": ServiceConfiguration(workers: 2),
            "retunedAndGrows": ServiceConfiguration(workers: 2),
            "gone": ServiceConfiguration(workers: 1),
        ])
        let new = ManagerConfiguration(services: [
            "same": ServiceConfiguration(workers: 2),
            "grows": ServiceConfiguration(workers: 5),
            "retuned": ServiceConfiguration(workers: 2, readinessTimeout: .seconds(5)),
            "retunedAndGrows": ServiceConfiguration(workers: 3, maxWorkers: 10),
            "fresh": ServiceConfiguration(workers: 1),
        ])
        let diff = ConfigurationDiff(from: old, to: new)
        #expect(diff.services == [
            "same": .unchanged,
            "grows": .resized(from: 2, to: 5),
            "retuned": .changed,
            "retunedAndGrows": .changed,
            "gone": .removed,
            "fresh": .added,
        ])
        #expect(diff.serviceNames { $0 == .changed } == ["retuned", "retunedAndGrows"])
        #expect(!diff.isEmpty)
        #expect(diff.logLevel == nil && diff.gracefulShutdownTimeout == nil && diff.startupTimeout == nil)
    }

    @Test func restartPolicyAndTimeoutChangesAreChanges() {
        let base = ServiceConfiguration(workers: 2)
        var jitter = base
        jitter.restart.jitter = 0.5
        #expect(ConfigurationDiff.change(from: base, to: jitter) == .changed)
        var graceful = base
        graceful.gracefulShutdownTimeout = .seconds(5)
        #expect(ConfigurationDiff.change(from: base, to: graceful) == .changed)
        var bounds = base
        bounds.minWorkers = 2
        #expect(ConfigurationDiff.change(from: base, to: bounds) == .changed)
    }

    @Test func reportsManagerLevelChanges() {
        let old = ManagerConfiguration()
        let new = ManagerConfiguration(logLevel: .debug, gracefulShutdownTimeout: .seconds(5), startupTimeout: nil)
        let diff = ConfigurationDiff(from: old, to: new)
        #expect(diff.logLevel == ConfigurationValueChange(from: .info, to: .debug))
        #expect(diff.gracefulShutdownTimeout == ConfigurationValueChange(from: .seconds(60), to: .seconds(5)))
        #expect(diff.startupTimeout == ConfigurationValueChange(from: .seconds(90), to: nil))
        #expect(diff.services.isEmpty)
        #expect(!diff.isEmpty)
        #expect(ConfigurationDiff(from: old, to: old).isEmpty)
    }

    @Test func reportsAListenerChange() {
        let old = ManagerConfiguration(listeners: ["http": ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 80))])
        var new = old
        new.listeners["http"]?.backlog = 10
        let diff = ConfigurationDiff(from: old, to: new)
        #expect(diff.listeners == ConfigurationValueChange(from: old.listeners, to: new.listeners))
        #expect(!diff.isEmpty)
        #expect(ConfigurationDiff(from: old, to: old).listeners == nil)
    }

    // MARK: Properties

    @Test func aConfigurationComparedWithItselfIsUnchanged() async {
        await propertyCheck(count: 300, input: RandomConfiguration.one) { configuration in
            let diff = ConfigurationDiff(from: configuration, to: configuration)
            #expect(diff.isEmpty)
            #expect(Set(diff.services.keys) == Set(configuration.services.keys))
            #expect(diff.services.values.allSatisfy { $0 == .unchanged })
        }
    }

    @Test func addedAndRemovedMatchTheServiceNames() async {
        await propertyCheck(count: 300, input: RandomConfiguration.pair) { pair in
            let diff = ConfigurationDiff(from: pair.old, to: pair.new)
            let old = Set(pair.old.services.keys), new = Set(pair.new.services.keys)
            #expect(Set(diff.services.keys) == old.union(new))
            #expect(Set(diff.serviceNames { $0 == .added }) == new.subtracting(old))
            #expect(Set(diff.serviceNames { $0 == .removed }) == old.subtracting(new))
        }
    }

    @Test func aServiceIsResizedIffOnlyItsWorkersDiffer() async {
        await propertyCheck(count: 300, input: RandomConfiguration.pair) { pair in
            let diff = ConfigurationDiff(from: pair.old, to: pair.new)
            for (name, before) in pair.old.services {
                guard let after = pair.new.services[name] else { continue }
                let othersDiffer = before.minWorkers != after.minWorkers || before.maxWorkers != after.maxWorkers
                    || before.gracefulShutdownTimeout != after.gracefulShutdownTimeout
                    || before.readinessTimeout != after.readinessTimeout || before.restart != after.restart
                let expected: ServiceConfigurationChange = othersDiffer ? .changed
                    : before.workers != after.workers ? .resized(from: before.workers, to: after.workers) : .unchanged
                #expect(diff.services[name] == expected, "service \(name)")
            }
        }
    }

    @Test func applyingTheDiffToTheOldServicesGivesTheNewOnes() async {
        await propertyCheck(count: 300, input: RandomConfiguration.pair) { pair in
            let diff = ConfigurationDiff(from: pair.old, to: pair.new)
            var applied = pair.old.services
            for (name, change) in diff.services {
                switch change {
                case .unchanged: break
                case .resized(let from, let to):
                    #expect(applied[name]?.workers == from)
                    applied[name]?.workers = to
                case .changed, .added: applied[name] = pair.new.services[name]
                case .removed: applied[name] = nil
                }
            }
            #expect(applied == pair.new.services)
        }
    }

    @Test func theReverseDiffSwapsAddedAndRemovedAndResizesBack() async {
        await propertyCheck(count: 300, input: RandomConfiguration.pair) { pair in
            let forward = ConfigurationDiff(from: pair.old, to: pair.new)
            let backward = ConfigurationDiff(from: pair.new, to: pair.old)
            #expect(Set(forward.services.keys) == Set(backward.services.keys))
            for (name, change) in forward.services {
                let reversed: ServiceConfigurationChange
                switch change {
                case .added: reversed = .removed
                case .removed: reversed = .added
                case .resized(let from, let to): reversed = .resized(from: to, to: from)
                case .unchanged, .changed: reversed = change
                }
                #expect(backward.services[name] == reversed, "service \(name)")
            }
            #expect(forward.logLevel.map { ConfigurationValueChange(from: $0.to, to: $0.from) } == backward.logLevel)
            #expect((forward.startupTimeout == nil) == (backward.startupTimeout == nil))
        }
    }

    @Test func managerLevelChangesAreReportedIffTheyDiffer() async {
        await propertyCheck(count: 300, input: RandomConfiguration.pair) { pair in
            let diff = ConfigurationDiff(from: pair.old, to: pair.new)
            #expect((diff.logLevel != nil) == (pair.old.logLevel != pair.new.logLevel))
            if let change = diff.logLevel { #expect(change == ConfigurationValueChange(from: pair.old.logLevel, to: pair.new.logLevel)) }
            if let change = diff.startupTimeout { #expect(change == ConfigurationValueChange(from: pair.old.startupTimeout, to: pair.new.startupTimeout)) }
            #expect((diff.gracefulShutdownTimeout != nil) == (pair.old.gracefulShutdownTimeout != pair.new.gracefulShutdownTimeout))
            #expect((diff.startupTimeout != nil) == (pair.old.startupTimeout != pair.new.startupTimeout))
            #expect(diff.isEmpty == (pair.old == pair.new))
        }
    }

    @Test func theGeneratorsCoverEveryKindOfChange() async {
        // Guards the properties above against a generator that never produces a case.
        var seen: Set<String> = []
        await propertyCheck(count: 300, input: RandomConfiguration.pair) { pair in
            for change in ConfigurationDiff(from: pair.old, to: pair.new).services.values {
                switch change {
                case .unchanged: seen.insert("unchanged")
                case .resized: seen.insert("resized")
                case .changed: seen.insert("changed")
                case .added: seen.insert("added")
                case .removed: seen.insert("removed")
                }
            }
        }
        #expect(seen == ["unchanged", "resized", "changed", "added", "removed"])
    }

    // MARK: Round trip through a file

    @Test func everyGeneratedConfigurationSurvivesAWriteAndALoad() async {
        await propertyCheck(count: 200, input: RandomConfiguration.one) { configuration in
            let yaml = try ConfigurationText.encode(configuration)
            let loaded = try ConfigurationFile.load(ManagerConfiguration.self, yaml: yaml, name: "generated.yaml")
            #expect(loaded == configuration)
            #expect(ConfigurationDiff(from: configuration, to: loaded).isEmpty)
        }
    }

    @Test func anUnknownKeyAddedToAServiceIsFoundAtItsLine() async {
        // Keys starting with x: no key of the model does.
        let keys = Gen.lowercaseLetter.string(of: 1...12).map { "x" + $0 }
        await propertyCheck(count: 200, input: RandomConfiguration.one, keys) { configuration, unknown in
            let expectedPath: [String]
            if let name = configuration.services.keys.sorted().first {
                expectedPath = ["services", name, unknown]
            } else {
                expectedPath = [unknown]
            }
            let yaml = try ConfigurationText.encode(configuration, adding: unknown, 7, at: Array(expectedPath.dropLast()))
            let error = try #require(throws: ConfigurationError.self) {
                try ConfigurationFile.load(ManagerConfiguration.self, yaml: yaml, name: "generated.yaml")
            }
            #expect(error.kind == .unknownKey)
            #expect(error.keyPath == expectedPath)
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let line = try #require(error.line)
            #expect(lines[line - 1].trimmingCharacters(in: .whitespaces).hasPrefix("\"\(unknown)\" : 7"), "\(yaml)")
        }
    }
}
