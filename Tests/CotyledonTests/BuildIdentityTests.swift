@testable import Cotyledon
import Testing

/// How a build is named in `status` and by `--version`.
@Suite struct BuildIdentityTests {
    @Test("the description names what is known", arguments: [
        (BuildIdentity(version: "1.4.0", buildID: "3f2a9c1b7d4e"), "1.4.0 (build 3f2a9c1b7d4e)"),
        (BuildIdentity(version: nil, buildID: "3f2a9c1b7d4e"), "build 3f2a9c1b7d4e"),
        (BuildIdentity(version: "1.4.0", buildID: nil), "1.4.0"),
        (BuildIdentity(version: nil, buildID: nil), "unknown"),
    ])
    func theDescriptionNamesWhatIsKnown(_ identity: BuildIdentity, _ text: String) {
        #expect(identity.description == text)
    }

    /// The test executable, like every program SwiftPM links on Linux, carries a GNU build-id.
    @Test func theBuildIDIsReadFromTheExecutable() throws {
        let identity = BuildIdentity.ofThisExecutable(version: "2.0.0")
        let buildID = try #require(identity.buildID)
        #expect(buildID.count == BuildIdentity.shownDigits)
        #expect(buildID.allSatisfy { "0123456789abcdef".contains($0) }, "\(buildID)")
        #expect(buildID != String(repeating: "0", count: BuildIdentity.shownDigits))
        #expect(ServiceManager.buildIdentity(version: "2.0.0") == "2.0.0 (build \(buildID))")
    }
}
