import Foundation
import Testing

@testable import Supervisor

/// The intake's word that a drain found the inbound socket empty, which
/// the supervisor waits for on its own thread before a stall verdict.
@Suite struct DrainWordTests {
    @Test func theWordCarriesTheBatchesHandedOverBeforeIt() throws {
        let shared = try KeepAliveIntake.Shared()
        // No word yet: the wait gives up at its deadline.
        #expect(shared.waitForEmptyAnswer(1, until: .now.advanced(by: .milliseconds(20))) == nil)
        shared.batchesYielded.store(2, ordering: .sequentiallyConsistent)
        let answering = Thread { shared.answeredEmpty(1) }
        answering.start()
        #expect(shared.waitForEmptyAnswer(1, until: .now.advanced(by: .seconds(10))) == 2)
        // A later drain is not answered by an earlier word.
        #expect(shared.waitForEmptyAnswer(2, until: .now.advanced(by: .milliseconds(20))) == nil)
    }
}
