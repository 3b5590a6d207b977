import Testing
@testable import Cotyledon

@Suite struct CotyledonErrorTests {
    @Test func messagesNameTheProblemAndTheFix() {
        #expect(CotyledonError.invalidWorkerCount(service: "printer", requested: -3).description
            == "service \"printer\": workers must be at least 1 and at most 10000 (got -3); pass a count in that range")
        #expect(CotyledonError.multiThreaded(threads: 4).description.contains("must be single-threaded, but this process has 4 threads"))
        #expect(CotyledonError.unknownServiceID(ServiceID(rawValue: 7)).description.hasPrefix("unknown service id 7"))
        #expect(CotyledonError.addAfterRun(service: "x").description.contains("cannot add a service after run()"))
        #expect(CotyledonError.settingsTypeMismatch(service: "kv", serviceSettings: "KVSettings", managerSettings: "AppSettings").description
            == "service \"kv\" reads settings of type KVSettings, but the ServiceManager was created with AppSettings; make the service a SettingsService<AppSettings> or create the manager with a KVSettings")
    }
}
