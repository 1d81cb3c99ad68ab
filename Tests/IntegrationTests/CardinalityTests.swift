import Foundation
import Testing

/// Run-time cardinality changes in any direction and by any amount.
extension IntegrationSuite {
@Suite struct CardinalityTests {
    @Test func scaleDownStopsTheNewestAndLeavesTheOthersAlone() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 1}}"#)
        try await withManager(ws, config: config) { m in
            let oldest = try await m.waitForWorkers("Work", count: 1)[0]
            _ = try await m.get("/tasks/Work/set/cardinality/3")
            let three = try await m.waitForWorkers("Work", count: 3)
            _ = try await m.get("/tasks/Work/set/cardinality/1")
            let one = try await m.waitForWorkers("Work", count: 1)
            #expect(one == [oldest])
            #expect(three.filter { $0 != oldest }.allSatisfy { !ProcessTable.isAlive($0) })
            let status = try await m.status("Work")
            #expect(status["Active Workers"] == "1 / 1")
            #expect(status["Dead Workers"] == "2")
        }
    }

    @Test func largeStepsUpAndDown() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 10}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Work", count: 10)
            _ = try await m.get("/tasks/Work/set/cardinality/0")
            _ = try await m.waitForWorkers("Work", count: 0)
            #expect(await eventually { m.liveWorkers().isEmpty })
            #expect(try await m.status("Work")["Running"] == "true")
            _ = try await m.get("/tasks/Work/set/cardinality/1")
            _ = try await m.waitForWorkers("Work", count: 1)
            _ = try await m.get("/tasks/Work/set/cardinality/50")
            _ = try await m.waitForWorkers("Work", count: 50)
            #expect(m.liveWorkers().count == 50)
            _ = try await m.get("/tasks/Work/set/cardinality/1")
            _ = try await m.waitForWorkers("Work", count: 1)
            #expect(await eventually { m.liveWorkers().count == 1 })
            #expect(ProcessTable.children(of: m.pid).allSatisfy { ProcessTable.state($0) != "Z" })
        }
    }

    /// Spawns run on a thread of their own: the second request comes while
    /// most of the first one's spawns have not begun. They are dropped, and
    /// those under way are stopped when they land: nothing is spawned twice
    /// and nothing is left over.
    @Test func scaleUpThenDownBeforeTheSpawnsAreDoneEndsAtTheLastSize() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper], autotasks: #"{"Work": {"cardinality": 1}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Work", count: 1)
            _ = try await m.get("/tasks/Work/set/cardinality/300")
            _ = try await m.get("/tasks/Work/set/cardinality/3")
            _ = try await m.waitForWorkers("Work", count: 3)
            #expect(await eventually { m.liveWorkers().count == 3 })
            let status = try await m.status("Work")
            #expect(status["Active Workers"] == "3 / 3")
            // Every worker spawned beyond the three was stopped (counted
            // dead), and the spawns not begun were dropped: fewer than the
            // 1 + 299 the first request asked for.
            let dead = try #require(Int(status["Dead Workers"] ?? ""))
            let metrics = MetricsTests.parse(try await m.get("/metrics").body).samples
            let spawned = try #require(MetricsTests.value(metrics, "wpm_worker_spawns_total", ["task": "Work"]))
            #expect(Int(spawned) == dead + 3)
            #expect(spawned < 300)
            // A stop in the middle of a large scale-up leaves nothing behind either.
            _ = try await m.get("/tasks/Work/set/cardinality/300")
            _ = try await m.request(.delete, "/tasks/Work")
            #expect(await eventually { m.liveWorkers().isEmpty })
            #expect(try await m.status("Work")["Running"] == "false")
            // Started again, it comes up at the size last asked for.
            _ = try await m.get("/tasks/Work/set/cardinality/2")
            _ = try await m.get("/tasks/Work/start")
            _ = try await m.waitForWorkers("Work", count: 2)
            #expect(await eventually { m.liveWorkers().count == 2 })
        }
    }

    @Test func scaleDownOfWorkersThatIgnoreSIGTERMNeverBlocksRequests() async throws {
        let ws = try Workspace()
        // A long grace period: the stopped workers linger for 4 s before SIGKILL.
        let config = ws.standardConfig(
            tasks: ["Stubborn": Scripts.stubborn, "Other": Scripts.sleeper],
            autotasks: #"{"Stubborn": {"cardinality": 50, "grace_period": 4000}, "Other": {}}"#)
        try await withManager(ws, config: config) { m in
            _ = try await m.waitForWorkers("Stubborn", count: 50)
            let other = try await m.waitForWorkers("Other", count: 1)
            let asked = ContinuousClock.now
            var reply = try await m.get("/tasks/Stubborn/set/cardinality/1")
            #expect(reply.body == "Changed workers cardinality\n")
            // Answered while the 49 are still in their grace period: nothing waited on them.
            let status = try await m.status("Stubborn")
            let answeredIn = ContinuousClock.now - asked
            if answeredIn < .seconds(3) {
                #expect(status["Stopping Workers"] == "49")
                #expect(status["Active Workers"] == "1 / 1")
            }
            reply = try await m.get("/tasks/Other/set/cardinality/2")
            #expect(reply.status == 200)
            _ = try await m.waitForWorkers("Other", count: 2)
            #expect(try await m.workerPids("Other").contains(other[0]))
            // Then SIGKILL after the grace period, to the whole group.
            _ = try await m.waitForWorkers("Stubborn", count: 1, timeout: .seconds(40))
            #expect(ContinuousClock.now - asked >= .milliseconds(3900))
            #expect(await eventually { m.liveWorkers().count <= 3 + 2 })  // 1 stubborn shell + its sleep, 2 others
            let dead = try await m.status("Stubborn")["Dead Workers"]
            #expect(dead == "49")
        }
    }

    @Test func cardinalitySetWhileStoppedIsUsedAtTheNextStartAndSurvivesStopStart() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(tasks: ["Work": Scripts.sleeper])
        try await withManager(ws, config: config) { m in
            var reply = try await m.get("/tasks/Work/set/cardinality/4")
            #expect(reply.status == 200)
            #expect(try await m.status("Work")["Running"] == "false")
            #expect(m.liveWorkers().isEmpty)
            _ = try await m.get("/tasks/Work/start")
            _ = try await m.waitForWorkers("Work", count: 4)
            reply = try await m.get("/tasks/Work/set/cardinality/2")
            _ = try await m.waitForWorkers("Work", count: 2)
            _ = try await m.request(.delete, "/tasks/Work")
            _ = try await m.get("/tasks/Work/start")
            _ = try await m.waitForWorkers("Work", count: 2)
            #expect(try await m.status("Work")["Active Workers"] == "2 / 2")
        }
    }
}
}
