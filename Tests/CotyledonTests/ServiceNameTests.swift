import Testing
@testable import Cotyledon

/// The one naming rule for services, and the default name a service type gets.
@Suite struct ServiceNameTests {
    @Test("a type's default name is its words in lower case joined by '-', without a last word Service",
          arguments: [("PrinterService", "printer"), ("KVService", "kv"), ("HTTPDaemonService", "http-daemon"),
                      ("EchoWorker", "echo-worker"), ("Service", "service"), ("ServiceGroupService", "service-group"),
                      ("Cache2Service", "cache2"), ("Box<Int>", "box-int"), ("MyApp.JobService", "my-app-job")])
    func defaultNames(_ typeName: String, _ expected: String) {
        #expect(ServiceName.derived(fromTypeName: typeName) == expected)
        #expect(ServiceName.isValid(expected))
    }

    @Test("only a-z, 0-9, '_' and '-' are valid, as in the configuration file",
          arguments: ["printer", "kv-store", "job_2", "0"])
    func validNames(_ name: String) {
        #expect(ServiceName.isValid(name))
        #expect(ManagerConfiguration.isValidServiceName(name))
    }

    @Test("upper case, spaces, dots, other scripts and the empty name are refused",
          arguments: ["PrinterService", "kv store", "a.b", "é", "", "x\n"])
    func invalidNames(_ name: String) {
        #expect(!ServiceName.isValid(name))
        #expect(!ManagerConfiguration.isValidServiceName(name))
    }

    /// A subclass that does not override `name` gets the derived one.
    @Test func aServiceClassWithoutItsOwnNameGetsTheDerivedOne() {
        #expect(UnnamedJobService.name == "unnamed-job")
    }
}

/// A service that does not override ``Service/name``.
private final class UnnamedJobService: Service {}
