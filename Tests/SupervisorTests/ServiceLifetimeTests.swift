import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import Supervisor

/// The manager's threads belong to services: `run` starts them and returns
/// once they have ended, at the group's graceful shutdown.
@Suite(.serialized) struct ServiceLifetimeTests {
    /// Threads of this process whose name (as the kernel keeps it, 15
    /// bytes) is `name`.
    func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.count { task in
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return comm.trimmingCharacters(in: .newlines) == name
        }
    }

    /// Polls `condition` for up to 20 s.
    func eventually(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func theHubsIntakeThreadLivesFromItsRunToItsShutdownAndThePortsAreFreed() async throws {
        let hub = try KeepAliveHub(host: "127.0.0.1", inboundPort: 0, internalPort: 0)
        // Made, not run: no thread yet.
        #expect(threads(named: "wpm-ka-intake") == 0)
        let group = ServiceGroup(services: [hub], logger: Logger(label: "t"))
        let running = Task { try await group.run() }
        #expect(await eventually { threads(named: "wpm-ka-intake") == 1 })
        await group.triggerGracefulShutdown()
        try await running.value
        // `run` returned once the thread had ended (the kernel lists it a
        // moment longer) and the sockets were closed: the port is free.
        #expect(await eventually { threads(named: "wpm-ka-intake") == 0 })
        let port = try #require(hub.inboundEndpoint.split(separator: ":").last.flatMap { Int($0) })
        let again = try KeepAliveHub(host: "127.0.0.1", inboundPort: port, internalPort: 0)
        #expect(again.inboundEndpoint == hub.inboundEndpoint)
    }

    @Test func theOutputWritersWriteWhatIsQueuedThenEnd() async throws {
        let out = RecordingDestination()
        let writer = OutputWriter(name: "lifetime", capacity: 1 << 20, destination: out, logger: Logger(label: "t"))
        // Queued before the thread starts: written once it does.
        writer.submit(.init(task: "T", bytes: Array("one\n".utf8), lines: 1))
        #expect(threads(named: "wpm-output-life") == 0)
        let ended = writer.start()
        #expect(await eventually { out.text.withLock { $0 } == "one\n" })
        writer.submit(.init(task: "T", bytes: Array("two\n".utf8), lines: 1))
        writer.stop()
        for await _ in ended {}
        #expect(out.text.withLock { $0 } == "one\ntwo\n")
        #expect(await eventually { threads(named: "wpm-output-life") == 0 })
    }

    @Test func theOutputRouterAndTheSpawnQueueEndWithTheirGroup() async throws {
        let output = OutputRouter(standardOutput: nil)
        let queue = SpawnQueue(spawner: try Spawner(output: output))
        let group = ServiceGroup(services: [output, queue], logger: Logger(label: "t"))
        let running = Task { try await group.run() }
        // The spawner serves once its service runs.
        queue.enqueue(TaskSpec(name: "T", command: "/bin/true"), count: 1)
        var results = queue.results.makeAsyncIterator()
        let result = try #require(await results.next())
        guard case .spawned(let pid, _) = result.outcome else {
            Issue.record("expected a spawn, got \(result.outcome)")
            return
        }
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        queue.reported(pid)
        await group.triggerGracefulShutdown()
        try await running.value
        // Closed: its results end, and nothing more is spawned.
        #expect(await results.next() == nil)
    }

    @Test func theLifecycleOnlyMovesForward() {
        var lifecycle = SupervisorLifecycle.starting
        #expect(!lifecycle.isShuttingDown)
        lifecycle.countShutdownSignal()
        #expect(lifecycle == .starting)
        let at = ContinuousClock.now
        lifecycle = .stopping(forceAt: at, signals: 0)
        #expect(lifecycle.isShuttingDown)
        lifecycle.countShutdownSignal()
        lifecycle.countShutdownSignal()
        #expect(lifecycle == .stopping(forceAt: at, signals: 2))
        #expect(lifecycle.shutdownSignals == 2)
        #expect(SupervisorLifecycle.stopped.isShuttingDown)
    }
}
