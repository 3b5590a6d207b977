import Cotyledon

final class PrinterService: Service, WorkerIDInitializable {
    override class var name: String { "printer" }

    override func run() async throws {
        while !Task.isCancelled {              // terminate() cancels run() by default
            print("Doing stuff")
            try await Task.sleep(for: .seconds(1))
        }
    }
}

let manager = try ServiceManager()
try manager.add(PrinterService.self, workers: 2)
manager.run()                               // never returns
