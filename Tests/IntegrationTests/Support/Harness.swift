import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// Polls `condition` until it holds or `timeout` passes (generous: the
/// machines are small and noisy). Returns whether it held.
func eventually(
    timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// The directory the test binary was built into; the `wpmanager` binary is beside it.
let buildDirectory: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe)
    // .build/debug/wpmPackageTests.xctest (a file on Linux)
    while !FileManager.default.isExecutableFile(atPath: url.deletingLastPathComponent().path + "/wpmanager") {
        url = url.deletingLastPathComponent()
        if url.path == "/" { break }
    }
    return url.deletingLastPathComponent().path
}()

let managerBinary = buildDirectory + "/wpmanager"

/// A scratch directory with task files; removed at the end.
final class Workspace: @unchecked Sendable {
    let path: String
    /// Every process started for this workspace carries this in its environment.
    let tag = "wpmtest-\(UUID().uuidString)"

    init() throws {
        path = NSTemporaryDirectory() + "wpm-it-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path + "/tasks", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var tasks: String { path + "/tasks" }

    /// Writes a task file; `executable: false` leaves it without the x bit.
    @discardableResult
    func task(_ name: String, _ script: String, executable: Bool = true) -> String {
        let file = tasks + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(script.utf8))
        chmod(file, executable ? 0o755 : 0o644)
        return file
    }

    func config(_ json: String) -> String {
        let file = path + "/config-\(UUID().uuidString.prefix(6)).json"
        _ = FileManager.default.createFile(atPath: file, contents: Data(json.utf8))
        return file
    }

    /// Live (non-zombie) processes carrying this workspace's tag.
    func liveProcesses() -> [pid_t] {
        ProcessTable.pids().filter { pid in
            guard ProcessTable.state(pid) != "Z" else { return false }
            return ProcessTable.environment(pid).contains(tag)
        }
    }
}

/// Reads /proc.
enum ProcessTable {
    static func pids() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    static func stat(_ pid: pid_t) -> [String]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "pid (comm)": state, ppid, pgrp, ...
        return text[text.index(after: close)...].split(separator: " ").map(String.init)
    }

    static func state(_ pid: pid_t) -> String? { stat(pid)?.first }
    static func parent(_ pid: pid_t) -> pid_t? { stat(pid).flatMap { pid_t($0[1]) } }
    static func processGroup(_ pid: pid_t) -> pid_t? { stat(pid).flatMap { pid_t($0[2]) } }

    static func environment(_ pid: pid_t) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    static func children(of parent: pid_t) -> [pid_t] {
        pids().filter { self.parent($0) == parent }
    }

    /// The command line, arguments separated by spaces.
    static func command(_ pid: pid_t) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 && state(pid) != "Z"
    }
}

/// Output of a child process, collected as it comes.
final class OutputBuffer: Sendable {
    private let data = Mutex(Data())

    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
    var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
}

/// A reply from the manager.
struct Reply {
    let status: Int
    let body: String
    let headers: HTTPFields

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// A running `wpmanager` binary.
final class Manager: @unchecked Sendable {
    let process = Process()
    let stdout = OutputBuffer()
    let stderr = OutputBuffer()
    let workspace: Workspace
    private(set) var port = 0
    /// Where workers send keep-alives (`tcp://127.0.0.1:PORT`).
    private(set) var keepAliveEndpoint = ""
    var host = "127.0.0.1"
    /// Sent as `Authorization: Bearer TOKEN` by `request` (and the helpers built on it).
    var token: String?

    /// Starts `wpmanager -conf=CONFIG` and waits until its HTTP API listens.
    /// `wrapper` runs it through another command (`unshare ...`, say).
    init(
        _ workspace: Workspace, config: String, arguments: [String]? = nil, environment extra: [String: String] = [:],
        waitForHTTP: Bool = true, wrapper: [String] = []
    ) throws {
        self.workspace = workspace
        process.executableURL = URL(fileURLWithPath: wrapper.first ?? managerBinary)
        process.arguments = wrapper.dropFirst() + (wrapper.isEmpty ? [] : [managerBinary]) + (arguments ?? ["-conf=\(config)"])
        var environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        environment["WPMTEST_TAG"] = workspace.tag
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let (stdout, stderr) = (self.stdout, self.stderr)
        PipeDrain.start(out.fileHandleForReading) { stdout.append($0) }
        PipeDrain.start(err.fileHandleForReading) { stderr.append($0) }
        try process.run()
    }

    static func start(
        _ workspace: Workspace, config: String, arguments: [String]? = nil, environment: [String: String] = [:]
    ) async throws -> Manager {
        let manager = try Manager(workspace, config: config, arguments: arguments, environment: environment)
        try await manager.waitUntilListening()
        return manager
    }

    func waitUntilListening() async throws {
        let marker = "HTTP control API listening on "
        let found = await eventually { [self] in
            stderr.text.contains(marker) || !process.isRunning
        }
        guard found, let line = stderr.lines.first(where: { $0.contains(marker) }) else {
            if process.isRunning { kill(pid, SIGKILL) }
            throw HarnessError("wpmanager did not start listening:\n\(stderr.text)")
        }
        let inbound = "keep-alives inbound on "
        if let zmqLine = stderr.lines.first(where: { $0.contains(inbound) }) {
            keepAliveEndpoint = String(zmqLine.components(separatedBy: inbound)[1].prefix { $0 != "," })
        }
        // (In a --json log line the address is followed by `"}`.)
        let address = String(line.components(separatedBy: marker)[1].prefix { $0 != "\"" })
        port = Int(address.split(separator: ":").last ?? "") ?? 0
        host = String(address[..<address.lastIndex(of: ":")!])
    }

    var pid: pid_t { process.processIdentifier }

    /// Live processes of this workspace other than the manager: workers and their children.
    func liveWorkers() -> [pid_t] { workspace.liveProcesses().filter { $0 != pid } }

    // MARK: HTTP

    func request(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> Reply {
        var fields = headers
        if let token, fields[.authorization] == nil { fields[.authorization] = "Bearer \(token)" }
        let headers = fields
        return try await TestClient.withClient(host: host, port: port) { client in
            let response = try await client.execute(.init(path, method: method, headers: headers, body: body))
            let body = response.body.map { String(buffer: $0) } ?? ""
            return Reply(status: Int(response.status.code), body: body, headers: response.headers)
        }
    }

    func get(_ path: String) async throws -> Reply { try await request(.get, path) }
    func json(_ method: HTTPRequest.Method = .get, _ path: String) async throws -> Reply {
        try await request(method, path, headers: [.accept: "application/json"])
    }

    /// The `Key:<TAB>value` fields of a task's status.
    func status(_ task: String) async throws -> [String: String] {
        let reply = try await get("/tasks/\(task)")
        var fields: [String: String] = [:]
        for line in reply.body.split(separator: "\n") {
            let parts = line.split(separator: ":\t", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    /// Pids of the running (not stopping) workers of `task`, from the JSON list.
    func workerPids(_ task: String, includingStopping: Bool = false) async throws -> [pid_t] {
        let reply = try await json(.get, "/tasks/\(task)/list")
        let workers = reply.json["workers"] as? [[String: Any]] ?? []
        return workers.filter { includingStopping || ($0["state"] as? String) == "running" }
            .compactMap { ($0["pid"] as? Int).map { pid_t($0) } }
    }

    /// Waits until `task` has exactly `count` running workers, all alive, and no stopping ones.
    func waitForWorkers(_ task: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [pid_t] {
        var pids: [pid_t] = []
        let ok = try await eventually(timeout: timeout) {
            pids = try await workerPids(task, includingStopping: true)
            return pids.count == count && pids.allSatisfy(ProcessTable.isAlive)
        }
        guard ok else { throw HarnessError("\(task) did not reach \(count) workers (has \(pids.count))\n\(stderr.text)") }
        return pids
    }

    // MARK: ending

    /// Sends `signal` and waits for the exit status.
    @discardableResult
    func terminate(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async throws -> Int32 {
        if process.isRunning { kill(pid, signal) }
        return try await waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let exited = await eventually(timeout: timeout) { [self] in !process.isRunning }
        guard exited else {
            kill(pid, SIGKILL)
            throw HarnessError("wpmanager did not exit")
        }
        return process.terminationStatus
    }

    /// Ends the manager (if still running) and checks that nothing of this
    /// workspace is left running.
    func finish() async throws {
        if process.isRunning {
            let status = try await terminate()
            #expect(status == 0, "wpmanager exit status")
        }
        let clean = await eventually(timeout: .seconds(20)) { workspace.liveProcesses().isEmpty }
        let left = workspace.liveProcesses()
        #expect(clean, "processes left behind: \(left)")
        for pid in left { kill(pid, SIGKILL) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a started manager and always finishes it (no process left behind).
func withManager(
    _ workspace: Workspace, config: String, arguments: [String]? = nil, environment: [String: String] = [:],
    _ body: (Manager) async throws -> Void
) async throws {
    let manager = try await Manager.start(workspace, config: config, arguments: arguments, environment: environment)
    do {
        try await body(manager)
    } catch {
        try? await manager.finish()
        throw error
    }
    try await manager.finish()
}

/// Every integration suite runs inside this one, one test at a time: each
/// test starts its own manager and workers, and the machines have 2 cores.
@Suite(.serialized) enum IntegrationSuite {}
