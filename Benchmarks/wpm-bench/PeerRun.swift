import Foundation
import Glibc

/// The managers the peers workload compares: the bare baseline, wpm, and
/// supervisord and circus from the benchmark's virtual environment.
enum PeerKind: String, CaseIterable {
    case wpm, supervisord, circus, baseline
}

/// One manager of the peers workload running `count` copies of the C
/// worker (Benchmarks/c/stall-worker.c) as one pool named `bench`, each
/// manager with its own defaults except the grace period before SIGKILL.
/// `mode` is the worker's `STALL_BENCH_MODE` (`crash`, `ignore-term`).
final class PeerRun {
    let kind: PeerKind
    let count: Int
    let scratch: Scratch
    let workers: WorkerTracker
    private(set) var process: TrackedProcess!
    /// CLOCK_MONOTONIC ns right before the manager was started.
    private(set) var launchedAt: Int64 = 0
    /// wpm's HTTP port, supervisord's socket, circus's endpoint.
    private(set) var apiTarget = ""
    private let venv: String
    private let logPath: String

    init(_ kind: PeerKind, count: Int, mode: String? = nil, graceMS: Int = 2000, venv: String) throws {
        self.kind = kind
        self.count = count
        self.venv = venv
        scratch = try Scratch("peers-\(kind.rawValue)")
        let dir = scratch.path
        let worker = dir + "/tasks/bench-worker"
        try FileManager.default.copyItem(atPath: try CPrograms.path("stall-worker"), toPath: worker)
        let events = dir + "/events"
        logPath = dir + "/manager.log"
        workers = WorkerTracker(path: events)
        var environment = ["STALL_BENCH_EVENTS": events]
        if let mode { environment["STALL_BENCH_MODE"] = mode }
        let executable: String
        let arguments: [String]
        switch kind {
        case .baseline:
            environment["BASELINE_GRACE_MS"] = String(graceMS)
            executable = try CPrograms.path("baseline")
            arguments = [String(count), worker]
        case .wpm:
            try """
            {"port": 0, "max_cardinality": 10000, "force_timeout": 60000, "backoff_reset": 0,
             "keepalives": {"host": "127.0.0.1", "inbound_port": 0, "internal_port": 0,
                            "stall_timeout": 3600000, "grace_period": \(graceMS)},
             "path": "\(dir)/tasks", "filesuffix": "-worker", "autotasks": {"bench": {"cardinality": \(count)}}}
            """.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
            executable = binDirectory + "/wpmanager"
            arguments = ["-conf=\(dir)/config.json"]
        case .supervisord:
            apiTarget = dir + "/supervisor.sock"
            let env = environment.map { "\($0.key)=\"\($0.value)\"" }.sorted().joined(separator: ",")
            try """
            [supervisord]
            nodaemon=true
            logfile=\(dir)/supervisord.log
            pidfile=\(dir)/supervisord.pid
            childlogdir=\(dir)
            minfds=\(max(1024, 4 * count + 100))
            minprocs=\(max(200, count + 100))
            [unix_http_server]
            file=\(apiTarget)
            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
            [supervisorctl]
            serverurl=unix://\(apiTarget)
            [program:bench]
            command=\(worker)
            process_name=%(program_name)s_%(process_num)05d
            numprocs=\(count)
            autostart=true
            autorestart=true
            stopwaitsecs=\(max(1, graceMS / 1000))
            stdout_logfile=NONE
            stderr_logfile=NONE
            environment=\(env)

            """.write(toFile: dir + "/supervisord.conf", atomically: true, encoding: .utf8)
            executable = venv + "/bin/supervisord"
            arguments = ["-c", dir + "/supervisord.conf"]
        case .circus:
            apiTarget = "ipc://\(dir)/circus.sock"
            try """
            [circus]
            endpoint = \(apiTarget)
            pubsub_endpoint = ipc://\(dir)/circus-pubsub.sock
            [watcher:bench]
            cmd = \(worker)
            numprocesses = \(count)
            graceful_timeout = \(Double(graceMS) / 1000)
            [env:bench]
            \(environment.map { "\($0.key) = \($0.value)" }.sorted().joined(separator: "\n"))

            """.write(toFile: dir + "/circus.ini", atomically: true, encoding: .utf8)
            executable = venv + "/bin/circusd"
            arguments = [dir + "/circus.ini"]
        }
        launchedAt = monotonicNanos()
        process = try TrackedProcess(
            executable, arguments, environment: kind == .wpm || kind == .baseline ? environment : [:],
            output: dir + (kind == .baseline ? "/out" : "/stdout"), error: logPath)
        if kind == .wpm {
            do {
                apiTarget = String(try waitForLog("HTTP control API listening on ").split(separator: ":").last ?? "")
            } catch {
                stop()
                throw error
            }
        }
    }

    var pid: Int32 { process.pid }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func waitForLog(_ marker: String, timeout: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains(marker) }) {
                return String(line.components(separatedBy: marker)[1])
            }
            guard process.isRunning else { break }
            usleep(5_000)
        }
        throw BenchError("\(kind) never logged \"\(marker)\":\n\(log.suffix(2000))")
    }

    /// Milliseconds from the manager's start to its `count`-th worker's start note.
    func coldSpawn(timeout: Double = 180) throws -> Double {
        milliseconds(launchedAt, try workers.waitForStarts(count, timeout: timeout))
    }

    /// Whether the manager process has ended (a zombie counts as ended).
    var managerGone: Bool {
        let stat = readProcFile("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return true }
        return stat[close + 2] == UInt8(ascii: "Z")
    }

    /// SIGTERM to the manager; milliseconds until it has ended (every one
    /// stops its workers first). Throws if a worker outlives it.
    func stopAll(timeout: Double = 120) throws -> Double {
        let start = monotonicNanos()
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while !managerGone {
            guard Date() < deadline else { throw BenchError("\(kind) still running \(timeout) s after SIGTERM") }
            usleep(500)
        }
        let ms = milliseconds(start, monotonicNanos())
        process.wait()
        let left = Cleanup.leftovers(marker: scratch.path + "/")
        if !left.isEmpty {
            for line in left { if let pid = Int32(line.split(separator: " ").first ?? "") { kill(pid, SIGKILL) } }
            throw BenchError("\(kind) left \(left.count) worker(s) behind")
        }
        return ms
    }

    /// The command line of its own CLI listing the pool's workers.
    var listCommand: [String]? {
        switch kind {
        case .wpm: [binDirectory + "/wpconsole", "-host=127.0.0.1:\(apiTarget)", "listworkers", "bench"]
        case .supervisord: [venv + "/bin/supervisorctl", "-c", scratch.path + "/supervisord.conf", "status"]
        case .circus: [venv + "/bin/circusctl", "--endpoint", apiTarget, "list", "bench"]
        case .baseline: nil
        }
    }

    /// What the manager says of the pool (for the crash-looping program).
    func state() -> String {
        func output(_ argv: [String]) -> String {
            let out = scratch.path + "/state.out"
            guard let run = try? TrackedProcess(argv[0], Array(argv.dropFirst()), output: out, error: scratch.path + "/state.err") else {
                return "?"
            }
            run.wait()
            return ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "?")
        }
        switch kind {
        case .wpm:
            let body = output(["/usr/bin/env", "curl", "-s", "-H", "Accept: application/json", "http://127.0.0.1:\(apiTarget)/tasks/bench"])
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return body }
            let active = object["active_workers"] as? Int ?? -1, failures = object["quick_failures"] as? Int ?? -1
            return "\(active) running, \(failures) quick failures\(object["next_spawn_at"] != nil ? ", in backoff" : "")"
        case .supervisord, .circus:
            return output(listCommand!.dropLast(kind == .circus ? 2 : 0) + (kind == .circus ? ["status"] : []))
                .split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
                .reduce(into: [String: Int]()) { counts, line in
                    let state = line.split(separator: " ").dropFirst().first.map(String.init) ?? line
                    counts[state, default: 0] += 1
                }.map { "\($0.key) ×\($0.value)" }.sorted().joined(separator: ", ")
        case .baseline:
            return "respawns at once, forever"
        }
    }

    /// Ends it (and its workers) if still running; removes its files.
    func stop() {
        if let process, process.isRunning {
            kill(process.pid, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while !managerGone, Date() < deadline { usleep(10_000) }
            if !managerGone { kill(process.pid, SIGKILL) }
            process.wait()
        }
        for line in Cleanup.leftovers(marker: scratch.path + "/") {
            if let pid = Int32(line.split(separator: " ").first ?? "") { kill(pid, SIGKILL) }
        }
        scratch.remove()
    }
}
