import ArgumentParser
import CotyledonControlProtocol

/// `cotyledonctl scale SERVICE N`: resize a service.
struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Set the number of workers of a service (within its min_workers...max_workers).",
        discussion: "Lasts until the next reload, which applies the configuration file's count again.")

    @ParentCommand var control: CotyledonControl

    @Argument(help: "The service, e.g. printer.")
    var service: String

    @Argument(help: "The number of workers it should have.")
    var workers: Int

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("the number of workers cannot be negative, got \(workers).") }
    }

    func run() throws {
        try control.options.perform(.scale(service: service, workers: workers)) { response in
            "\(service): scaling to \(response.object["workers"]?.integerValue ?? workers) workers"
        }
    }
}
