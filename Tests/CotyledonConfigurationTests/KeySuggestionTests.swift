import Testing
@testable import Cotyledon
@testable import CotyledonConfiguration

@Suite struct KeySuggestionTests {
    @Test func distanceCountsEdits() {
        #expect(KeySuggestion.distance("workers", "workers") == 0)
        #expect(KeySuggestion.distance("wrokers", "workers") == 1)
        #expect(KeySuggestion.distance("hots", "host") == 1)
        #expect(KeySuggestion.distance("minWorkers", "min_workers") == 2)
        #expect(KeySuggestion.distance("", "abc") == 3)
        #expect(KeySuggestion.distance("abc", "") == 3)
    }

    @Test func suggestsOnlyCloseKeys() {
        let keys = ["workers", "min_workers", "max_workers", "readiness_timeout"]
        #expect(KeySuggestion.closest(to: "worker", among: keys) == "workers")
        #expect(KeySuggestion.closest(to: "minWorkers", among: keys) == "min_workers")
        #expect(KeySuggestion.closest(to: "readyness_timeout", among: keys) == "readiness_timeout")
        #expect(KeySuggestion.closest(to: "color", among: keys) == nil)
        #expect(KeySuggestion.closest(to: "hots", among: ["port", "host"]) == "host")
        #expect(KeySuggestion.closest(to: "x", among: []) == nil)
    }
}
