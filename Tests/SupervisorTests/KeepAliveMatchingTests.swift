import Foundation
import KeepAlive
import MetricsTestKit
import Testing

@testable import Supervisor

/// How the real `Supervisor` matches a keep-alive to a worker (SPEC §2):
/// frame 0 and the JSON task name name the task exactly, the pid is a live
/// worker of that task; everything else counts as dropped by reason (on the
/// task frame 0 names, or on no task) and keeps nobody alive. Driven with
/// the manual clock and fake processes: no manager, no ZeroMQ, no waiting.
@Suite struct KeepAliveMatchingTests {
    func spec(_ name: String) -> TaskSpec {
        TaskSpec(name: name, command: "/bin/true", cardinality: 1, stallTimeoutMS: 1_000, gracePeriodMS: 500)
    }

    /// Tasks A and B, one worker each, spawned but not yet beating.
    func twoTasks(metrics: TestMetrics = TestMetrics()) async throws -> (SupervisorHarness, a: pid_t, b: pid_t) {
        let h = try SupervisorHarness([spec("A"), spec("B")], metrics: metrics)
        #expect(try await h.supervisor.start("A") == .started)
        let a = await h.startSpawns()
        #expect(try await h.supervisor.start("B") == .started)
        let b = await h.startSpawns()
        try #require(a.count == 1 && b.count == 1)
        return (h, a[0], b[0])
    }

    func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    func counts(_ h: SupervisorHarness, _ task: String) async -> (received: Int, drops: [KeepAliveDrop: Int]) {
        let pool = await h.supervisor.pool(named: task)
        return (pool?.keepAlivesReceived ?? -1, pool?.drops ?? [:])
    }

    @Test func aKeepAliveOfTheTasksOwnWorkerCountsAndMakesItReady() async throws {
        let (h, a, _) = try await twoTasks()
        await h.keepAlive("A", a)
        let (received, drops) = await counts(h, "A")
        #expect(received == 1)
        #expect(drops == [:])
        #expect(await h.supervisor.pool(named: "A")?.readyWorkers == 1)
        #expect(await h.supervisor.pool(named: "B")?.keepAlivesReceived == 0)
    }

    @Test func goStyleKeysInAnyCaseAreMatched() async throws {
        let (h, a, _) = try await twoTasks()
        await h.frames([json("A"), json(#"{"TaskName": "A", "PID": \#(a)}"#)])
        await h.frames([json("A"), json(#"{"taskname":"A","pid":\#(a),"status":"ready","extra":[1,2]}"#)])
        #expect(await counts(h, "A").received == 2)
    }

    @Test func anUnknownTaskIsCountedOnNoTask() async throws {
        let metrics = TestMetrics()
        let (h, a, _) = try await twoTasks(metrics: metrics)
        await h.keepAlive("C", a)
        // Task names are matched exactly: "a" is not "A".
        await h.keepAlive("a", a)
        #expect(
            try metrics.expectCounter(SupervisorMetrics.Name.keepAlivesDropped, [("task", ""), ("reason", "unknown_task")])
                .totalValue == 2)
        #expect(await counts(h, "A").received == 0)
        #expect(await counts(h, "A").drops == [:])
        #expect(await counts(h, "B").drops == [:])
    }

    @Test func frameZeroAndTheJSONTaskNameMustAgree() async throws {
        let metrics = TestMetrics()
        let (h, a, _) = try await twoTasks(metrics: metrics)
        await h.frames([json("A"), json(#"{"taskname": "B", "pid": \#(a)}"#)])
        #expect(await counts(h, "A") == (0, [.wrongTask: 1]))
        #expect(try metrics.expectCounter(SupervisorMetrics.Name.keepAlivesDropped, [("task", "A"), ("reason", "wrong_task")]).totalValue == 1)
        // Frame 0 naming no task: counted on no task, as an unknown one.
        await h.frames([json("Z"), json(#"{"taskname": "A", "pid": \#(a)}"#)])
        #expect(
            try metrics.expectCounter(SupervisorMetrics.Name.keepAlivesDropped, [("task", ""), ("reason", "unknown_task")])
                .totalValue == 1)
    }

    @Test func aPidOfAnotherTaskOrOfNoWorkerDoesNotCount() async throws {
        let (h, a, b) = try await twoTasks()
        await h.keepAlive("B", a)
        await h.keepAlive("A", 999_999)
        #expect(await counts(h, "B") == (0, [.wrongTask: 1]))
        #expect(await counts(h, "A") == (0, [.unknownPid: 1]))
        #expect(await h.supervisor.pool(named: "A")?.readyWorkers == 0)
        #expect(await h.supervisor.pool(named: "B")?.readyWorkers == 0)
        await h.keepAlive("B", b)
        #expect(await counts(h, "B") == (1, [.wrongTask: 1]))
    }

    @Test func brokenMessagesAreCountedOnTheTaskFrameZeroNames() async throws {
        let (h, a, _) = try await twoTasks()
        await h.frames([json("A")])
        await h.frames([json("A"), json("not json")])
        await h.frames([json("A"), json(#"{"taskname": "A"}"#)])
        await h.frames([json("A"), json(#"{"taskname": "A", "pid": -\#(a)}"#)])
        await h.frames([json("A"), json(#"{"taskname": "A", "pid": "\#(a)"}"#)])
        await h.frames([json("A"), [UInt8](repeating: UInt8(ascii: " "), count: KeepAliveMessage.maxFrameSize + 1)])
        #expect(await counts(h, "A") == (0, [.missingFrame: 1, .malformedJSON: 4, .tooLarge: 1]))
        #expect(await counts(h, "B").drops == [:])
    }

    @Test func onlyAMatchedKeepAliveHoldsTheStallOff() async throws {
        let (h, a, b) = try await twoTasks()
        await h.keepAlive("A", a)
        await h.keepAlive("B", b)
        _ = h.signals()
        // For 1.2 s A's worker is named only by messages that do not count;
        // B's worker beats properly.
        for _ in 0..<12 {
            try await h.advance(.milliseconds(100))
            await h.keepAlive("B", a)
            await h.frames([json("A"), json(#"{"taskname": "B", "pid": \#(a)}"#)])
            await h.keepAlive("B", b)
        }
        #expect(h.signals() == [.group(a, SIGTERM)])
        #expect(await h.supervisor.pool(named: "A")?.stalledWorkers == 1)
        #expect(await h.supervisor.pool(named: "B")?.stalledWorkers == 0)
    }
}
