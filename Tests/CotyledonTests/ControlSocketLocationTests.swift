import CotyledonControlProtocol
import Testing

/// The control socket's default path, and the path `cotyledonctl` connects to.
@Suite struct ControlSocketLocationTests {
    /// An environment holding `variables`, empty values counting as unset.
    private static func environment(_ variables: [String: String]) -> (String) -> String? {
        { name in variables[name].flatMap { $0.isEmpty ? nil : $0 } }
    }

    @Test func theDefaultPathFollowsSystemdThenRootThenTheUsersRuntimeDirectory() {
        let systemd = Self.environment(["RUNTIME_DIRECTORY": "/run/kvd:/run/kvd-extra", "XDG_RUNTIME_DIR": "/run/user/1000"])
        #expect(ControlSocketLocation.defaultPath(program: "kvd", uid: 0, environment: systemd) == "/run/kvd/control.sock")
        let user = Self.environment(["RUNTIME_DIRECTORY": "", "XDG_RUNTIME_DIR": "/run/user/1000"])
        #expect(ControlSocketLocation.defaultPath(program: "kvd", uid: 0, environment: user) == "/run/kvd/control.sock")
        #expect(ControlSocketLocation.defaultPath(program: "kvd", uid: 1000, environment: user)
            == "/run/user/1000/kvd/control.sock")
        #expect(ControlSocketLocation.defaultPath(program: "kvd", uid: 1000, environment: Self.environment([:]))
            == "/tmp/kvd-1000/control.sock")
    }

    @Test func aClientTakesTheSocketThenTheProgramThenTheEnvironmentThenTheFallback() {
        let environment = Self.environment(["COTYLEDON_CONTROL_SOCKET": "/srv/other.sock", "XDG_RUNTIME_DIR": "/run/user/1000"])
        func path(socket: String? = nil, program: String? = nil, _ environment: (String) -> String?) -> String {
            ControlSocketLocation.clientPath(socket: socket, program: program, fallbackProgram: "cotyledon-demo",
                                             uid: 1000, environment: environment)
        }
        #expect(path(socket: "/srv/kvd.sock", program: "kvd", environment) == "/srv/kvd.sock")
        #expect(path(program: "kvd", environment) == "/run/user/1000/kvd/control.sock",
                "--program derives the daemon's own default, whatever COTYLEDON_CONTROL_SOCKET says")
        #expect(path(environment) == "/srv/other.sock")
        #expect(path(Self.environment(["XDG_RUNTIME_DIR": "/run/user/1000"])) == "/run/user/1000/cotyledon-demo/control.sock")
    }
}
