import Foundation
import Testing

@testable import Supervisor

/// The backlog's bookkeeping, and real spawns through the queue's thread.
@Suite struct SpawnBacklogTests {
    func spec(_ name: String) -> TaskSpec { TaskSpec(name: name, command: "/bin/true") }

    @Test func tasksAreServedInTurn() {
        var backlog = SpawnBacklog()
        backlog.add(spec("A"), count: 3)
        backlog.add(spec("B"), count: 1)
        backlog.add(spec("A"), count: 1)
        var served: [String] = []
        while let next = backlog.next() { served.append(next.name) }
        // B's one spawn does not wait for A's four.
        #expect(served == ["A", "B", "A", "A", "A"])
        #expect(backlog.isEmpty)
    }

    @Test func droppingCountsWhatWasWaiting() {
        var backlog = SpawnBacklog()
        backlog.add(spec("A"), count: 3)
        #expect(backlog.drop(task: "A", upTo: 2) == 2)
        #expect(backlog.count(of: "A") == 1)
        #expect(backlog.drop(task: "A", upTo: 5) == 1)
        #expect(backlog.drop(task: "A", upTo: 1) == 0)
        #expect(backlog.drop(task: "Unknown", upTo: 1) == 0)
        #expect(backlog.isEmpty)
        #expect(backlog.next() == nil)
        backlog.add(spec("A"), count: 0)
        #expect(backlog.isEmpty)
    }

    @Test func tasksWaitingForAnAnswerArePassedOver() {
        var backlog = SpawnBacklog()
        backlog.add(spec("A"), count: 2)
        backlog.add(spec("B"), count: 1)
        #expect(backlog.hasWork(besides: ["A"]))
        #expect(backlog.next(besides: ["A"])?.name == "B")
        #expect(!backlog.hasWork(besides: ["A"]))
        #expect(backlog.next(besides: ["A"]) == nil)
        #expect(backlog.count(of: "A") == 2)
        #expect(backlog.next()?.name == "A")
    }
}

@Suite(.serialized) struct SpawnQueueTests {
    @Test func spawnsAndReportsEachWorkerThenAFailureDropsTheRest() async throws {
        let queue = SpawnQueue(spawner: try Spawner(output: OutputRouter()))
        // Its thread runs while its service does (cancelled: closed, ended).
        let service = Task { await queue.run() }
        defer { service.cancel() }
        var results = queue.results.makeAsyncIterator()

        queue.enqueue(TaskSpec(name: "ok", command: "/bin/true"), count: 2)
        var pids: [pid_t] = []
        for _ in 0..<2 {
            let result = try #require(await results.next())
            #expect(result.task == "ok")
            guard case .spawned(let pid, _) = result.outcome else {
                Issue.record("expected a spawn, got \(result.outcome)")
                continue
            }
            pids.append(pid)
        }
        for pid in pids {
            var status: Int32 = 0
            #expect(waitpid(pid, &status, 0) == pid)
            queue.reported(pid)
        }

        queue.enqueue(TaskSpec(name: "broken", command: "/nonexistent/worker"), count: 3)
        let failure = try #require(await results.next())
        #expect(failure.task == "broken")
        guard case .failed(let message) = failure.outcome else {
            Issue.record("expected a failure, got \(failure.outcome)")
            return
        }
        #expect(message.contains("/nonexistent/worker"))
        // The first failed; the two others wait for the supervisor's answer
        // (however long it takes), which here drops them.
        usleep(100_000)
        #expect(queue.cancel(task: "broken", upTo: 10) == 2)
        queue.failureTaken(task: "broken")
    }

    /// After a failure the task's other spawns wait for the supervisor;
    /// other tasks go on meanwhile, and what it keeps begins once it has answered.
    @Test func aFailedTaskWaitsForTheAnswerWhileOthersGoOn() async throws {
        let queue = SpawnQueue(spawner: try Spawner(output: OutputRouter()))
        // Its thread runs while its service does (cancelled: closed, ended).
        let service = Task { await queue.run() }
        defer { service.cancel() }
        var results = queue.results.makeAsyncIterator()
        let broken = TaskSpec(name: "broken", command: "/nonexistent/worker")
        queue.enqueue(broken, count: 2)
        let failure = try #require(await results.next())
        guard case .failed = failure.outcome else {
            Issue.record("expected a failure, got \(failure.outcome)")
            return
        }
        queue.enqueue(TaskSpec(name: "ok", command: "/bin/true"), count: 1)
        let other = try #require(await results.next())
        #expect(other.task == "ok")
        if case .spawned(let pid, _) = other.outcome {
            var status: Int32 = 0
            #expect(waitpid(pid, &status, 0) == pid)
            queue.reported(pid)
        } else {
            Issue.record("expected a spawn, got \(other.outcome)")
        }
        // Kept (not dropped): it begins after the answer (and fails too).
        queue.failureTaken(task: "broken")
        let kept = try #require(await results.next())
        #expect(kept.task == "broken")
        guard case .failed = kept.outcome else {
            Issue.record("expected a failure, got \(kept.outcome)")
            return
        }
        queue.failureTaken(task: "broken")
        #expect(queue.cancel(task: "broken", upTo: 10) == 0)
    }

    @Test func spawnsWaitWhileHeldAndStartWhenReleased() async throws {
        let queue = SpawnQueue(spawner: try Spawner(output: OutputRouter()))
        // Its thread runs while its service does (cancelled: closed, ended).
        let service = Task { await queue.run() }
        defer { service.cancel() }
        var results = queue.results.makeAsyncIterator()
        let spec = TaskSpec(name: "held", command: "/bin/true")
        // Held: none begins, however long the holder takes (an unheld spawner
        // starts one within microseconds), so all can still be cancelled.
        let dropped = queue.holdingSpawns {
            queue.enqueue(spec, count: 2)
            usleep(200_000)
            return queue.cancel(task: "held", upTo: 10)
        }
        #expect(dropped == 2)
        // Released: what was queued while held starts.
        queue.holdingSpawns { queue.enqueue(spec, count: 1) }
        let result = try #require(await results.next())
        guard case .spawned(let pid, _) = result.outcome else {
            Issue.record("expected a spawn, got \(result.outcome)")
            return
        }
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        queue.reported(pid)
    }

    @Test func aGroupNumberOfAnUnreportedSpawnIsNeverSignalled() async throws {
        let queue = SpawnQueue(spawner: try Spawner(output: OutputRouter()))
        // Its thread runs while its service does (cancelled: closed, ended).
        let service = Task { await queue.run() }
        defer { service.cancel() }
        var results = queue.results.makeAsyncIterator()
        queue.enqueue(TaskSpec(name: "sleeper", command: "/bin/sleep", args: ["30"]), count: 1)
        let result = try #require(await results.next())
        guard case .spawned(let pid, _) = result.outcome else {
            Issue.record("expected a spawn, got \(result.outcome)")
            return
        }
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        #expect(queue.withoutSpawning(pgid: pid) { $0 })
        queue.reported(pid)
        #expect(!queue.withoutSpawning(pgid: pid) { $0 })
    }
}
