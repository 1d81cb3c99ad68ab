import Testing

@testable import Supervisor

/// The one deadline schedule, alone: no clock, instants made by hand.
@Suite struct DeadlineScheduleTests {
    let origin = ContinuousClock.now
    func t(_ ms: Int) -> ContinuousClock.Instant { origin.advanced(by: .milliseconds(ms)) }

    @Test func dueGivesTheTargetsUpToNowEarliestFirst() {
        var schedule = DeadlineSchedule<String>()
        schedule.schedule("c", at: t(30))
        schedule.schedule("a", at: t(10))
        schedule.schedule("b", at: t(20))
        #expect(schedule.next == t(10))
        #expect(schedule.due(at: t(5)) == [])
        #expect(schedule.due(at: t(20)) == ["a", "b"])
        #expect(schedule.next == t(30))
        #expect(schedule.deadline(of: "a") == nil)
        #expect(schedule.count == 1)
        #expect(schedule.due(at: t(100)) == ["c"])
        #expect(schedule.next == nil)
        #expect(schedule.isEmpty)
    }

    @Test func aTargetHasOneDeadlineTheLastScheduled() {
        var schedule = DeadlineSchedule<String>()
        schedule.schedule("a", at: t(10))
        schedule.schedule("a", at: t(50))
        #expect(schedule.next == t(50))
        #expect(schedule.due(at: t(20)) == [])
        schedule.schedule("a", at: t(5))
        #expect(schedule.deadline(of: "a") == t(5))
        #expect(schedule.due(at: t(100)) == ["a"])
        #expect(schedule.due(at: t(100)) == [])
    }

    @Test func noLaterThanKeepsAnEarlierDeadline() {
        var schedule = DeadlineSchedule<String>()
        schedule.schedule("a", noLaterThan: t(20))
        schedule.schedule("a", noLaterThan: t(30))
        #expect(schedule.deadline(of: "a") == t(20))
        schedule.schedule("a", noLaterThan: t(20))
        schedule.schedule("a", noLaterThan: t(10))
        #expect(schedule.deadline(of: "a") == t(10))
        #expect(schedule.due(at: t(100)) == ["a"])
    }

    @Test func cancelledDeadlinesNeitherFireNorShowAsNext() {
        var schedule = DeadlineSchedule<Int>()
        for i in 1...5 { schedule.schedule(i, at: t(i * 10)) }
        schedule.cancel(1)
        schedule.cancel(3)
        #expect(schedule.next == t(20))
        schedule.cancelAll { $0 % 2 == 0 }
        #expect(schedule.next == t(50))
        #expect(schedule.due(at: t(100)) == [5])
        schedule.cancel(42)
        #expect(schedule.isEmpty)
    }

    @Test func aCancelledTargetScheduledAgainFiresOnce() {
        var schedule = DeadlineSchedule<String>()
        schedule.schedule("b", at: t(1))
        schedule.schedule("a", at: t(10))
        schedule.cancel("a")
        schedule.schedule("a", at: t(10))
        schedule.schedule("a", at: t(20))
        schedule.schedule("a", at: t(10))
        #expect(schedule.due(at: t(100)) == ["b", "a"])
    }

    @Test func popDueSaysWhenTheDeadlineWas() {
        var schedule = DeadlineSchedule<String>()
        schedule.schedule("a", at: t(10))
        let popped = schedule.popDue(at: t(15))
        #expect(popped?.target == "a")
        #expect(popped?.at == t(10))
        #expect(schedule.popDue(at: t(15)) == nil)
    }

    @Test func equalInstantsAllFire() {
        var schedule = DeadlineSchedule<Int>()
        for i in 0..<100 { schedule.schedule(i, at: t(7)) }
        #expect(Set(schedule.due(at: t(7))) == Set(0..<100))
    }
}
