import Foundation
import Testing

/// Descendants of a worker that left its process group end with it (README, "Faults").
extension IntegrationSuite {
    @Suite struct EscapedChildrenTests {
        /// Whether something accepts connections on `port`.
        static func listening(_ port: Int) -> Bool {
            (try? RawConnection(port: port)) != nil
        }

        /// A daemon in a session of its own that holds `port`; `ignoreTERM`
        /// makes only SIGKILL end it.
        static func daemon(port: Int, ignoreTERM: Bool) -> String {
            let ignore = ignoreTERM ? "signal.signal(signal.SIGTERM, signal.SIG_IGN); " : ""
            return "python3 -c 'import signal, socket, time; \(ignore)s = socket.socket(); "
                + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", \(port))); "
                + "s.listen(); time.sleep(1000)'"
        }

        func run(script: (Int) -> String, grace: Int) async throws {
            let port = try unusedPort()
            let ws = try Workspace()
            let cfg = ws.standardConfig(tasks: ["Daemon": script(port)], autotasks: #"{"Daemon": {}}"#, grace: grace)
            try await withManager(ws, config: cfg) { m in
                let worker = try await m.waitForWorkers("Daemon", count: 1)[0]
                #expect(await eventually { Self.listening(port) }, "the daemon did not start\n\(m.stderr.text)")
                let daemons = ws.liveProcesses().filter { $0 != m.pid && $0 != worker && ProcessTable.processGroup($0) != worker }
                #expect(!daemons.isEmpty, "no process outside the worker's group")
                let stop = try await m.request(.delete, "/tasks/Daemon")
                #expect(stop.status == 200)
                #expect(await eventually { !Self.listening(port) }, "the port is still held\n\(m.stderr.text)")
                #expect(await eventually { m.liveWorkers().isEmpty }, "left running: \(m.liveWorkers())")
                #expect(m.stderr.text.contains("that left its worker's process group"))
                let metrics = IntegrationSuite.MetricsTests.parse(try await m.get("/metrics").body).samples
                #expect(
                    IntegrationSuite.MetricsTests.value(metrics, "wpm_escaped_processes_stopped_total", ["task": "Daemon"]) ?? 0 >= 1)
            }
        }

        /// `setsid` under a living worker: found in /proc under it when it is stopped.
        @Test func aSetsidDaemonOfAWorkerStopsWithTheTask() async throws {
            try await run(
                script: { port in "#!/bin/sh\nsetsid \(Self.daemon(port: port, ignoreTERM: false)) &\nexec sleep 1000\n" },
                grace: 500)
        }

        /// At shutdown: workers that end at once on SIGTERM have left their
        /// `setsid` daemons to the manager before it would search /proc for
        /// them (the search follows every stop signal of the moment, and
        /// skips a worker that has exited); those are stopped all the same,
        /// before the manager exits.
        @Test func setsidDaemonsStopBeforeTheManagerExits() async throws {
            let ws = try Workspace()
            let script = "#!/bin/sh\nsetsid sleep 1000 &\nexec sleep 1000\n"
            let cfg = ws.standardConfig(tasks: ["Daemon": script], autotasks: #"{"Daemon": {"cardinality": 40}}"#, grace: 500)
            let m = try await Manager.start(ws, config: cfg)
            _ = try await m.waitForWorkers("Daemon", count: 40)
            #expect(await eventually { m.liveWorkers().count == 80 }, "live: \(m.liveWorkers().count)")
            #expect(try await m.terminate(SIGTERM) == 0)
            // Nothing is left once the manager has exited: no waiting here.
            #expect(m.liveWorkers().isEmpty, "left: \(m.liveWorkers())")
            try await m.finish()
        }

        /// A double fork: the daemon is the manager's (as subreaper) while the
        /// worker lives; it ignores SIGTERM, so it ends at the grace period's SIGKILL.
        @Test func aDoubleForkedDaemonThatIgnoresSIGTERMIsKilled() async throws {
            try await run(
                script: { port in "#!/bin/sh\n(setsid \(Self.daemon(port: port, ignoreTERM: true)) &)\nexec sleep 1000\n" },
                grace: 500)
        }
    }
}
