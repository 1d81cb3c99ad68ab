import Foundation
import Testing

/// Workers of a task with `pdeathsig` learn of their manager's death: their
/// stop signal (PR_SET_PDEATHSIG, set by the exec helper), however the
/// manager died. (Those that ignore it, or have none, are stopped by the
/// next manager: StateTests.)
extension IntegrationSuite {
@Suite struct ManagerDeathTests {
    @Test func theWorkersOfAKilledManagerGetTheirStopSignal() async throws {
        let ws = try Workspace()
        // Notes the signal in a file named after its pid, then ends its
        // child and exits (a worker's own children get no signal from the kernel).
        let script = """
            #!/bin/sh
            trap 'echo TERM > "$0.term.$$"; kill $child; exit 0' TERM
            trap 'echo INT > "$0.term.$$"; kill $child; exit 0' INT
            sleep 1000 &
            child=$!
            wait $child
            """
        let config = ws.standardConfig(tasks: ["Mortal": script], autotasks: #"{"Mortal": {"cardinality": 3, "pdeathsig": true, "stop_signal": "INT"}}"#)
        let m = try await Manager.start(ws, config: config)
        let pids: [pid_t]
        do {
            pids = try await m.waitForWorkers("Mortal", count: 3)
            // Each shell has started its sleep (and set its trap before).
            #expect(await eventually { m.liveWorkers().count == 6 })
        } catch {
            try? await m.finish()
            throw error
        }
        kill(m.pid, SIGKILL)
        _ = try await m.waitForExit()
        let marker = { (pid: pid_t) in ws.tasks + "/MortalTask.sh.term.\(pid)" }
        #expect(await eventually { pids.allSatisfy { FileManager.default.fileExists(atPath: marker($0)) } })
        for pid in pids {
            #expect((try? String(contentsOfFile: marker(pid), encoding: .utf8)) == "INT\n")
        }
        // They ended on their own; finish() checks nothing of the workspace is left.
        #expect(await eventually { m.liveWorkers().isEmpty })
        try await m.finish()
    }

}
}
