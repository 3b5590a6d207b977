import Testing
@testable import Cotyledon

@Suite struct NotifySocketAddressTests {
    @Test func aPathIsUsedAsIs() throws {
        let address = try NotifySocketAddress("/run/systemd/notify")
        #expect(address.pathBytes == Array("/run/systemd/notify".utf8))
    }

    @Test func anAtSignMeansTheAbstractNamespace() throws {
        let address = try NotifySocketAddress("@/org/freedesktop/systemd1/notify/42")
        #expect(address.pathBytes == [0] + Array("/org/freedesktop/systemd1/notify/42".utf8))
    }

    @Test func otherAddressesAreRefusedWithWhatToDo() {
        for text in ["", "relative/notify.sock", "vsock:2:1234", "@"] {
            #expect(throws: NotifySocketAddressError.unsupported(text)) { try NotifySocketAddress(text) }
        }
        let long = "/" + String(repeating: "x", count: 107)
        #expect(throws: NotifySocketAddressError.tooLong(long, limit: 107)) { try NotifySocketAddress(long) }
        #expect((try? NotifySocketAddress("/" + String(repeating: "x", count: 106))) != nil)
        #expect((try? NotifySocketAddress("@" + String(repeating: "x", count: 107))) != nil)
        #expect("\(NotifySocketAddressError.unsupported("vsock:2:1"))".contains("unset it"))
    }
}
