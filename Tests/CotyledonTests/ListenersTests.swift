import Glibc
import Testing
@testable import Cotyledon

@Suite struct ListenersTests {
    @Test("a socket passed in LISTEN_FDS is a listener; a file, a pipe, a device or a closed descriptor is not")
    func onlySocketsAreListeners() throws {
        let stream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        let datagram = socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var pipeEnds: [Int32] = [-1, -1]
        #expect(pipe(&pipeEnds) == 0)
        let file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        let device = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let directory = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { for fd in [stream, datagram, file, device, directory] + pipeEnds { close(fd) } }
        try #require([stream, datagram, file, device, directory].allSatisfy { $0 >= 0 })

        #expect(Listeners.nonSocketKind(of: stream) == nil)
        #expect(Listeners.nonSocketKind(of: datagram) == nil)
        #expect(Listeners.nonSocketKind(of: file) == "regular-file")
        #expect(Listeners.nonSocketKind(of: pipeEnds[0]) == "pipe")
        #expect(Listeners.nonSocketKind(of: device) == "character-device")
        #expect(Listeners.nonSocketKind(of: directory) == "directory")
        // Above any descriptor limit: never open, whatever the runner's other threads open meanwhile.
        #expect(Listeners.nonSocketKind(of: Int32.max) == "closed-descriptor")
    }
}
