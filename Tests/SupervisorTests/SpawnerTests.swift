import Foundation
import Testing

@testable import Supervisor

/// Real spawns through `Spawner` (`wpm_spawn`: a child that shares the
/// descriptor table only until it unshares what it needs) while this
/// process holds many descriptors: the worker gets none of them, and the
/// manager keeps no copy of the worker's end of its output pipe (the end of
/// the output is seen when the worker exits).
@Suite(.serialized) struct SpawnerTests {
    @Test func aWorkerGetsOnlyItsStandardDescriptorsWhateverTheManagerHolds() async throws {
        // 600 pipes held open here (1200 descriptors), as a manager with many workers holds theirs.
        var held: [Int32] = []
        for _ in 0..<600 {
            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)  // not close-on-exec: closed by the spawn all the same
            held += ends
        }
        defer { held.forEach { close($0) } }
        let recent = RecentOutput()
        let spawner = try Spawner(output: OutputRouter(standardOutput: nil, recent: recent))
        let script = #"printf fds; for fd in /proc/self/fd/*; do printf " %s" "${fd##*/}"; done"#
        for round in 0..<3 {
            var spec = TaskSpec(name: "probe\(round)", command: "/bin/sh")
            spec.args = ["-c", script]
            let pid = try spawner.spawn(spec)
            var status: Int32 = 0
            #expect(waitpid(pid, &status, 0) == pid)
            #expect(status == 0)
            // The shell's own descriptors are 0, 1, 2 (and 3+ it may open for the glob);
            // the line has no newline: it is taken only at the end of the pipe.
            let deadline = ContinuousClock.now + .seconds(60)
            while recent.last(1, of: spec.name).isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let line = try #require(recent.last(1, of: spec.name).first?.line, "no end of output from worker \(pid)")
            #expect(line.hasPrefix("fds 0 1 2"), "\(line)")
            let fds = line.split(separator: " ").dropFirst().compactMap { Int($0) }
            // The glob's own directory may show as 3.
            #expect(fds == [0, 1, 2] || fds == [0, 1, 2, 3], "worker saw descriptors \(fds)")
        }
    }

    @Test func failuresComeBackAsErrors() throws {
        let spawner = try Spawner(output: OutputRouter(standardOutput: nil))
        #expect(throws: SpawnFailure.self) { try spawner.spawn(TaskSpec(name: "missing", command: "/nonexistent/worker")) }
        var spec = TaskSpec(name: "cwd", command: "/bin/true")
        spec.launch.cwd = "/nonexistent-directory"
        do {
            _ = try spawner.spawn(spec)
            Issue.record("spawned in a missing directory")
        } catch {
            #expect(error.description.contains("cannot change to cwd"), "\(error)")
        }
    }
}
