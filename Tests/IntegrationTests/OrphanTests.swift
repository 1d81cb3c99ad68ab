import Foundation
import Testing

/// A config whose one task, `Parent`, has a worker that starts a process in
/// a session of its own (out of its process group, so the group cleanup does
/// not reach it) once; that process writes its pid (as its PID namespace
/// sees it) to `marker` and lives 3 s, longer than it takes to be found.
func orphanMakingConfig(_ ws: Workspace) -> (config: String, marker: String) {
    let marker = ws.path + "/orphan.pid"
    let script = """
        #!/bin/sh
        [ -e \(marker) ] || setsid sh -c 'echo $$ > \(marker).tmp; mv \(marker).tmp \(marker); exec sleep 3' &
        exec sleep 1000
        """
    return (ws.standardConfig(tasks: ["Parent": script], autotasks: #"{"Parent": {}}"#), marker)
}

/// The manager reaps the orphaned descendants of its workers (it is their
/// subreaper, or PID 1) and tells them from its workers.
extension IntegrationSuite {
@Suite struct OrphanTests {
    @Test func aDaemonLeftByADeadWorkerIsAdoptedReapedAndNotCountedAsAWorker() async throws {
        let ws = try Workspace()
        let (config, marker) = orphanMakingConfig(ws)
        try await withManager(ws, config: config) { m in
            let worker = try await m.waitForWorkers("Parent", count: 1)[0]
            #expect(await eventually { FileManager.default.fileExists(atPath: marker) })
            let orphan = try #require(pid_t(String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(ProcessTable.processGroup(orphan) != worker)
            // Its parent (the worker's shell) dies: the manager, not init,
            // inherits it, and stops it with its worker (README, "Faults").
            kill(worker, SIGKILL)
            #expect(await eventually { !ProcessTable.isAlive(orphan) || ProcessTable.parent(orphan) == m.pid })
            #expect(await eventually { m.stderr.text.contains("stopping process \(orphan) that left its worker's process group") })
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

/// In a container the manager is PID 1: every orphan in the container is
/// its child. It reaps them all and still tells its workers' exits apart.
extension IntegrationSuite {
@Suite struct PIDOneTests {
    static let unshare = ["/usr/bin/unshare", "--fork", "--pid", "--mount-proc", "--kill-child=SIGKILL"]

    /// The pid of a process in its own (innermost) PID namespace.
    static func namespacePid(_ pid: pid_t) -> pid_t? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") } ?? ""
        return line.split(whereSeparator: \.isWhitespace).last.flatMap { pid_t($0) }
    }

    @Test func asPIDOneItReapsEveryOrphanAndCountsOnlyItsWorkers() async throws {
        // A new PID namespace needs privilege (root here, as in CI).
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: Self.unshare[0])
        probe.arguments = Array(Self.unshare.dropFirst()) + ["/bin/true"]
        try probe.run()
        probe.waitUntilExit()
        try #require(probe.terminationStatus == 0, "unshare --pid is not allowed here: this test needs root")

        let ws = try Workspace()
        let (config, marker) = orphanMakingConfig(ws)
        let m = try Manager(ws, config: config, wrapper: Self.unshare)
        // The manager is unshare's child, PID 1 inside (nil until it started).
        var manager: pid_t?
        do {
            try await m.waitUntilListening()
            let found = try #require(ProcessTable.children(of: m.pid).first)
            manager = found
            let manager = found
            #expect(m.stderr.text.contains("subreaper") == false)
            // The API speaks the namespace's pids: find the worker's pid out here.
            let inside = try await m.waitForWorkers("Parent", count: 1)[0]
            let worker = try #require(ProcessTable.children(of: manager).first { Self.namespacePid($0) == inside })
            #expect(await eventually { FileManager.default.fileExists(atPath: marker) })
            // The pid in the file is the namespace's; find the orphan by its command line instead.
            let orphan = try #require(
                await eventually { ProcessTable.children(of: worker).contains { ProcessTable.command($0).hasPrefix("sleep 3") } }
                    ? ProcessTable.children(of: worker).first { ProcessTable.command($0).hasPrefix("sleep 3") } : nil)
            kill(worker, SIGKILL)
            // Adopted and stopped with its worker (README, "Faults").
            #expect(await eventually { !ProcessTable.isAlive(orphan) || ProcessTable.parent(orphan) == manager })
            #expect(await eventually { m.stderr.text.contains("that left its worker's process group") })
            #expect(await eventually { (try? await m.workerPids("Parent").filter { $0 != inside }.count) == 1 })
            #expect(await eventually(timeout: .seconds(30)) { !ProcessTable.isAlive(orphan) })
            #expect(await eventually { ProcessTable.children(of: manager).allSatisfy { ProcessTable.state($0) != "Z" } })
            let status = try await m.status("Parent")
            #expect(status["Dead Workers"] == "1")
            #expect(status["Active Workers"] == "1 / 1")
        } catch {
            if let manager { kill(manager, SIGTERM) }
            _ = try? await m.waitForExit()
            try? await m.finish()
            throw error
        }
        // Stopped like any manager (unshare passes on its exit status).
        kill(manager!, SIGTERM)
        #expect(try await m.waitForExit() == 0)
        try await m.finish()
    }
}
}
