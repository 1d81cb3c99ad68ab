import Foundation
import Testing

/// Pause and resume with real workers: every process of every worker's
/// group stopped (state T in /proc), no stall while paused, deadlines from
/// the resume, the pause kept across a manager restart, and a stop of a
/// paused task still ends its workers.
extension IntegrationSuite {
@Suite struct PauseTests {
    /// Every process in the process groups of `pids`, with its state.
    static func groupStates(_ pids: [pid_t]) -> [pid_t: String] {
        var states: [pid_t: String] = [:]
        for pid in ProcessTable.pids() {
            guard let group = ProcessTable.processGroup(pid), pids.contains(group), let state = ProcessTable.state(pid) else { continue }
            states[pid] = state
        }
        return states
    }

    /// Every worker and every live process of its group is stopped (a
    /// child that exited just before stays a zombie: its parent is stopped;
    /// a shell stopped in the middle of a vfork waits, in state D, for its
    /// child, stopped before its exec).
    static func allFrozen(_ pids: [pid_t]) -> Bool {
        let states = groupStates(pids)
        func frozen(_ pid: pid_t, _ state: String) -> Bool {
            state == "T" || state == "Z"
                || (state == "D" && states.contains { ProcessTable.parent($0.key) == pid && $0.value == "T" })
        }
        return Set(states.keys).isSuperset(of: pids) && states.allSatisfy { frozen($0.key, $0.value) }
    }

    @Test func pauseStopsEveryWorkerHoldsStallsAndSurvivesARestart() async throws {
        let ws = try Workspace()
        let config = ws.standardConfig(
            tasks: ["Beat": Scripts.beater(interval: 0.3), "Idle": Scripts.sleeper],
            autotasks: #"{"Beat": {"cardinality": 3, "stall_timeout": 1500}}"#)
        let stateFile = String(config.dropLast(".json".count)) + ".state.json"
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Beat", count: 3)
            #expect(await eventually { (try? await m.status("Beat")["Ready Workers"]) == "3 / 3" })

            let paused = try await m.request(.post, "/tasks/Beat/pause")
            #expect(paused.status == 200)
            #expect(paused.body == "Paused Beat workers\n")
            #expect(await eventually { Self.allFrozen(pids) }, "\(Self.groupStates(pids))")
            #expect(try await m.status("Beat")["Paused"] == "true")
            #expect(try await m.json(.get, "/tasks/Beat").json["paused"] as? Bool == true)
            #expect(try await m.request(.post, "/tasks/Beat/pause").body == "Already paused Beat\n")
            // Twice the stall timeout and more: nobody stalls, nobody is replaced.
            let until = ContinuousClock.now.advanced(by: .milliseconds(4000))
            while ContinuousClock.now < until {
                #expect(try await m.status("Beat")["Stalled Workers"] == "0")
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(Set(try await m.workerPids("Beat")) == Set(pids))
            #expect(Self.allFrozen(pids), "\(Self.groupStates(pids))")
            // No rollout of a paused task.
            let restart = try await m.request(.post, "/tasks/Beat/restart")
            #expect(restart.status == 409)
            #expect(restart.body.contains("is paused: resume it first"))

            let received = try await m.json(.get, "/tasks/Beat").json["keepalives_received"] as? Int ?? 0
            let resumed = try await m.request(.post, "/tasks/Beat/resume")
            #expect(resumed.body == "Resumed Beat workers\n")
            #expect(await eventually { Self.groupStates(pids).values.allSatisfy { $0 != "T" } })
            #expect(try await m.status("Beat")["Paused"] == nil)
            #expect(await eventually {
                (try? await m.json(.get, "/tasks/Beat").json["keepalives_received"] as? Int ?? 0) ?? 0 > received + 6
            })
            #expect(try await m.status("Beat")["Stalled Workers"] == "0")
            #expect(Set(try await m.workerPids("Beat")) == Set(pids))
            #expect(try await m.request(.post, "/tasks/Beat/resume").body == "Not paused Beat\n")

            // Tried wrong.
            for (method, path, status, says) in [
                ("POST", "/tasks/Idle/pause", 409, "Task Idle not running"),
                ("POST", "/tasks/Nope/pause", 404, "unknown task Nope"),
                ("POST", "/tasks/Nope/resume", 404, "unknown task Nope"),
                ("POST", "/tasks/Beat/pause?all=1", 400, "unknown parameter \"all\""),
                ("GET", "/tasks/Beat/pause", 405, "not allowed"),
            ] {
                let reply = try await m.request(method == "GET" ? .get : .post, path)
                #expect(reply.status == status, "\(path): \(reply.body)")
                #expect(reply.body.contains(says), "\(path): \(reply.body)")
            }

            // Paused again, the manager stops: its workers end all the same.
            _ = try await m.request(.post, "/tasks/Beat/pause")
            #expect(await eventually { Self.allFrozen(pids) })
            #expect(await eventually { (try? String(contentsOfFile: stateFile, encoding: .utf8))?.filter { $0 != " " }.contains("\"paused\":true") == true })
        }
        // The pause is kept: the new workers are paused as they start.
        try await withManager(ws, config: config) { m in
            let pids = try await m.waitForWorkers("Beat", count: 3)
            #expect(try await m.status("Beat")["Paused"] == "true")
            #expect(await eventually { Self.allFrozen(pids) }, "\(Self.groupStates(pids))")
            // A stop of a paused task ends its workers (SIGCONT, then the stop signal).
            #expect(try await m.request(.delete, "/tasks/Beat").status == 200)
            #expect(await eventually { Self.groupStates(pids).isEmpty })
            #expect(try await m.status("Beat")["Paused"] == nil)
        }
    }
}
}
