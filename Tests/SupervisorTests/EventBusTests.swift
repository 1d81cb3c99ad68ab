import Foundation
import MetricsTestKit
import Synchronization
import Testing

@testable import Supervisor

/// Fan-out of supervisor events: ordered, filtered by task, and a slow
/// subscriber loses events (counted, announced) without ever blocking.
@Suite struct EventBusTests {
    static func event(_ task: String, _ pid: pid_t) -> SupervisorEvent {
        SupervisorEvent(task: task, kind: .workerSpawned(pid: pid))
    }

    @Test func everySubscriberGetsItsEventsInOrder() async {
        let bus = EventBus()
        let all = bus.subscribe()
        let onlyB = bus.subscribe(tasks: ["B"])
        for pid in 1...5 { bus.publish(Self.event(pid % 2 == 0 ? "B" : "A", pid_t(pid))) }
        bus.finishAll()
        var seen: [(UInt64, pid_t?)] = []
        for await event in all { seen.append((event.sequence, event.pid)) }
        #expect(seen.map(\.0) == [1, 2, 3, 4, 5])
        #expect(seen.map(\.1) == [1, 2, 3, 4, 5])
        var b: [pid_t?] = []
        for await event in onlyB { b.append(event.pid) }
        #expect(b == [2, 4])
        // After finishAll: a new subscription ends at once.
        var late = 0
        for await _ in bus.subscribe() { late += 1 }
        #expect(late == 0)
    }

    @Test func aSlowSubscriberLosesEventsCountedAndAnnounced() async {
        let lost = Mutex(0)
        let bus = EventBus(onLoss: { count in lost.withLock { $0 += count } })
        let slow = bus.subscribe(bufferSize: 3)
        var iterator = slow.makeAsyncIterator()
        for pid in 1...10 { bus.publish(Self.event("A", pid_t(pid))) }  // never waits
        #expect(bus.lostEvents == 7)
        #expect(lost.withLock { $0 } == 7)
        var first: [pid_t?] = []
        for _ in 0..<3 { first.append(await iterator.next()?.pid) }
        #expect(first == [1, 2, 3])
        bus.publish(Self.event("A", 11))
        let notice = await iterator.next()
        #expect(notice?.kind == .eventsLost(count: 7))
        #expect(notice?.sequence == 11)
        #expect(await iterator.next()?.pid == 11)
        slow.end()
        #expect(await iterator.next() == nil)
        #expect(bus.subscriberCount == 0)
    }

    @Test func eventsAsJSON() throws {
        var event = SupervisorEvent(
            time: Date(timeIntervalSince1970: 1_700_000_000.25), task: "W",
            kind: .workerExited(pid: 42, status: .signaled(signal: 9, coreDumped: false), reason: .signaled))
        event.sequence = 7
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(event), as: UTF8.self)
        #expect(
            json
                == #"{"core_dumped":false,"pid":42,"reason":"signaled","seq":7,"signal":9,"signal_name":"SIGKILL","status":"killed by signal 9 (SIGKILL)","task":"W","time":"2023-11-14T22:13:20.250Z","type":"worker_exited"}"#
        )
    }

    @Test func metricsMoveWithEvents() throws {
        let factory = TestMetrics()
        let metrics = SupervisorMetrics(taskNames: ["W"], factory: factory)
        metrics.record(SupervisorEvent(task: "W", kind: .workerSpawned(pid: 1)))
        metrics.record(SupervisorEvent(task: "W", kind: .workerExited(pid: 1, status: .exited(code: 3), reason: .crashed)))
        metrics.keepAliveDropped(task: nil, reason: .unknownTask)
        metrics.stallDetected(task: "W", lag: .milliseconds(3))
        #expect(try factory.expectCounter(SupervisorMetrics.Name.spawns, [("task", "W")]).totalValue == 1)
        #expect(try factory.expectCounter(SupervisorMetrics.Name.exits, [("task", "W"), ("reason", "crashed")]).totalValue == 1)
        #expect(try factory.expectCounter(SupervisorMetrics.Name.exits, [("task", "W"), ("reason", "clean")]).totalValue == 0)
        #expect(
            try factory.expectCounter(SupervisorMetrics.Name.keepAlivesDropped, [("task", ""), ("reason", "unknown_task")])
                .totalValue == 1)
        #expect(try factory.expectTimer(SupervisorMetrics.Name.stallLag, [("task", "W")]).lastValue == 3_000_000)
    }
}
