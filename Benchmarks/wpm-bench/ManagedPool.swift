import Foundation
import Glibc

/// A scratch directory of one workload, named after this run (so leftover
/// processes can be found by it), removed at the end.
final class Scratch {
    let path: String

    init(_ workload: String) throws {
        path = NSTemporaryDirectory() + "wpm-bench-\(getpid())-\(workload)"
        try FileManager.default.createDirectory(atPath: path + "/tasks", withIntermediateDirectories: true)
        Cleanup.track(directory: path)
    }

    /// The marker every process a run starts has in its command line.
    static var runMarker: String { "wpm-bench-\(getpid())" }

    func remove() { Cleanup.removeDirectory(path) }
}

/// The C programs of Benchmarks/c, compiled once per run.
enum CPrograms {
    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var paths: [String: String] = [:]
    }
    private static let cache = Cache()

    static func path(_ name: String) throws -> String {
        try cache.lock.withLock {
            if let path = cache.paths[name] { return path }
            let directory = NSTemporaryDirectory() + "wpm-bench-\(getpid())-bin"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            Cleanup.track(directory: directory)
            let path = try compileC(name, into: directory)
            cache.paths[name] = path
            return path
        }
    }
}

/// A wpmanager running one task, `bench`, of C workers (Benchmarks/c/stall-worker.c)
/// that note their start and their SIGTERM in an event file, with a
/// kept-alive HTTP connection to its API.
final class ManagedPool {
    static let task = "bench"
    let scratch: Scratch
    let manager: BenchManager
    let workers: WorkerTracker
    let port: Int
    let inbound: String
    let http: HTTPConnection
    /// The API's access token, when the workload turned it on.
    let token: String?
    /// `bench`, then `bench2`... when there are more tasks.
    let taskNames: [String]

    /// `cardinality` workers; started at once when `autostart`, else the
    /// task is only configured (start it with `start()`). With `tasks` > 1,
    /// `bench` and `bench2`... `benchN` with `cardinality` workers each. With
    /// `token`, the API needs it (and `http` sends it).
    init(
        workload: String, cardinality: Int, autostart: Bool, stallTimeout: Int = 3_600_000, grace: Int = 1000,
        tasks: Int = 1, token: String? = nil
    ) throws {
        self.token = token
        scratch = try Scratch(workload)
        let worker = scratch.path + "/tasks/\(Self.task)-worker"
        try FileManager.default.copyItem(atPath: try CPrograms.path("stall-worker"), toPath: worker)
        let eventPath = scratch.path + "/events"
        let names = [Self.task] + (tasks > 1 ? (2...tasks).map { "\(Self.task)\($0)" } : [])
        for name in names.dropFirst() {
            try FileManager.default.createSymbolicLink(atPath: scratch.path + "/tasks/\(name)-worker", withDestinationPath: worker)
        }
        let autotasks = autostart ? names.map { "\"\($0)\": {\"cardinality\": \(cardinality)}" }.joined(separator: ", ") : ""
        taskNames = names
        let tokenKey = token.map { "\"token\": \"\($0)\", " } ?? ""
        let config = scratch.path + "/config.json"
        try """
        {\(tokenKey)"port": 0, "max_cardinality": 10000, "force_timeout": 10000, "backoff_reset": 0,
         "keepalives": {"host": "127.0.0.1", "inbound_port": 0, "internal_port": 0,
                        "stall_timeout": \(stallTimeout), "grace_period": \(grace)},
         "path": "\(scratch.path)/tasks", "filesuffix": "-worker", "autotasks": {\(autotasks)}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        manager = try BenchManager(config: config, environment: ["STALL_BENCH_EVENTS": eventPath])
        do {
            inbound = String(try manager.wait(for: "keep-alives inbound on ").prefix { $0 != "," })
            let listening = try manager.wait(for: "HTTP control API listening on ")
            guard let port = Int(listening.split(separator: ":").last ?? "") else {
                throw BenchError("no port in \"\(listening)\"")
            }
            self.port = port
            http = try HTTPConnection(port: port, token: token)
            workers = WorkerTracker(path: eventPath)
            if !autostart {
                for name in names { try expect(200, "PUT", "/tasks/\(name)/set/cardinality/\(cardinality)") }
            }
        } catch {
            manager.stop()
            scratch.remove()
            throw error
        }
    }

    var pid: Int32 { manager.process.pid }

    @discardableResult
    func expect(_ status: Int, _ method: String, _ path: String) throws -> String {
        let answer = try http.request(method, path)
        guard answer.status == status else { throw BenchError("\(method) \(path): \(answer.status) \(answer.body)") }
        return answer.body
    }

    func status() throws -> [String: Any] { try http.json("/tasks/\(Self.task)") }

    func intStatus(_ key: String) throws -> Int {
        guard let value = try status()[key] as? Int else { throw BenchError("no \(key) in the task status") }
        return value
    }

    /// Polls until the manager counts `count` active workers.
    func waitForActive(_ count: Int, timeout: Double = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try intStatus("active_workers") != count {
            guard Date() < deadline else { throw BenchError("the manager never had \(count) active workers") }
            usleep(20_000)
        }
    }

    /// Stops the manager (it stops its workers) and removes the scratch directory.
    func stop() {
        manager.stop()
        scratch.remove()
    }
}

/// The workers' start and SIGTERM notes, as a set of live pids with their
/// start times (CLOCK_MONOTONIC ns).
final class WorkerTracker {
    let events: EventFile
    private(set) var alive: [Int32: Int64] = [:]

    init(path: String) { events = EventFile(path: path) }

    /// Applies the new notes; returns them.
    @discardableResult
    func update() -> [EventFile.Event] {
        let new = events.read()
        for event in new {
            if event.start { alive[event.pid] = event.ns } else { alive[event.pid] = nil }
        }
        return new
    }

    /// A worker we killed with SIGKILL (it writes no note).
    func forget(_ pid: Int32) { alive[pid] = nil }

    /// Waits until `count` workers have started; returns the latest start.
    func waitForStarts(_ count: Int, timeout: Double = 120) throws -> Int64 {
        let deadline = Date().addingTimeInterval(timeout)
        var latest: Int64 = 0
        var started = 0
        while started < count {
            for event in update() where event.start {
                started += 1
                latest = max(latest, event.ns)
            }
            if started >= count { break }
            guard Date() < deadline else { throw BenchError("only \(started) of \(count) workers started") }
            usleep(5_000)
        }
        return latest
    }
}
