import Foundation
import Testing

/// The manager reaps the orphaned descendants of its workers (it is their
/// subreaper, or PID 1) and tells them from its workers.
extension IntegrationSuite {
@Suite struct OrphanTests {
    @Test func aDaemonLeftByADeadWorkerIsAdoptedReapedAndNotCountedAsAWorker() async throws {
        let ws = try Workspace()
        // The worker starts a process in a session of its own (out of its
        // process group, so the group cleanup does not reach it), which
        // writes its pid and lives 3 s longer than it takes to be found.
        let marker = ws.path + "/orphan.pid"
        let script = """
            #!/bin/sh
            [ -e \(marker) ] || setsid sh -c 'echo $$ > \(marker).tmp; mv \(marker).tmp \(marker); exec sleep 3' &
            exec sleep 1000
            """
        let config = ws.standardConfig(tasks: ["Parent": script], autotasks: #"{"Parent": {}}"#)
        try await withManager(ws, config: config) { m in
            let worker = try await m.waitForWorkers("Parent", count: 1)[0]
            #expect(await eventually { FileManager.default.fileExists(atPath: marker) })
            let orphan = try #require(pid_t(String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(ProcessTable.processGroup(orphan) != worker)
            // Its parent (the worker's shell) dies: the manager, not init, inherits it.
            kill(worker, SIGKILL)
            #expect(await eventually { ProcessTable.parent(orphan) == m.pid })
            // The worker is replaced and counted dead, once.
            #expect(await eventually { (try? await m.workerPids("Parent").filter { $0 != worker }.count) == 1 })
            // When the orphan ends, it is reaped: no zombie is left among the manager's children.
            #expect(await eventually(timeout: .seconds(30)) { !ProcessTable.isAlive(orphan) })
            #expect(await eventually { ProcessTable.children(of: m.pid).allSatisfy { ProcessTable.state($0) != "Z" } })
            #expect(await eventually { ProcessTable.stat(orphan) == nil || ProcessTable.parent(orphan) != m.pid })
            let status = try await m.status("Parent")
            #expect(status["Dead Workers"] == "1")
            #expect(status["Active Workers"] == "1 / 1")
        }
    }
}
}
