import Foundation
import Testing

@testable import Supervisor

/// `DeadlineIndex` (a pool's SIGKILL deadlines): its earliest deadline is
/// the minimum of those set, through any sequence of sets, moves and removals.
@Suite struct DeadlineIndexTests {
    @Test func earliestIsTheMinimumOfWhatIsSet() {
        let origin = ContinuousClock.now
        var index = DeadlineIndex()
        var reference: [pid_t: ContinuousClock.Instant] = [:]
        #expect(index.earliest == nil)
        var generator = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let pid = pid_t.random(in: 1...300, using: &generator)
            // Many equal deadlines, as a stop of every worker at once gives.
            let at: ContinuousClock.Instant? =
                Int.random(in: 0..<3, using: &generator) == 0
                ? nil : origin.advanced(by: .milliseconds(Int.random(in: 0..<50, using: &generator)))
            index[pid] = at
            reference[pid] = at
            #expect(index[pid] == at)
            #expect(index.earliest == reference.values.min(), "step \(step)")
            #expect(index.byPid == reference)
        }
        for pid in reference.keys { index[pid] = nil }
        #expect(index.earliest == nil)
        #expect(index.byPid.isEmpty)
    }
}
