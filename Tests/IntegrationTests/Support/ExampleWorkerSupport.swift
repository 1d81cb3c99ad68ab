import Foundation
import KeepAlive
import Synchronization
import ZeroMQ

/// The repository, where the example workers live (resources/examples).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)  // Tests/IntegrationTests/Support/ExampleWorkerSupport.swift
    for _ in 0..<4 { url = url.deletingLastPathComponent() }
    return url.path
}()

let examplesDirectory = repositoryRoot + "/resources/examples"
let keepAliveCommand = buildDirectory + "/wpkeepalive"
let swiftExampleWorker = buildDirectory + "/example-worker"

/// How a command ended.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
    let duration: Duration

    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// The test's own environment without the variables wpmanager gives its
/// workers, so a command sees only what a test passes.
func environmentWithoutWPM(_ extra: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WPM_") }.merging(extra) { _, new in new }
}

/// Runs `executable` to its end (killing it after `timeout`) and collects its output.
func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String] = environmentWithoutWPM(),
    directory: String? = nil, timeout: Duration = .seconds(30)
) async throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardInput = FileHandle.nullDevice
    let (out, err) = (Pipe(), Pipe())
    process.standardOutput = out
    process.standardError = err
    let (stdout, stderr) = (OutputBuffer(), OutputBuffer())
    let closed = Tally()  // pipes at their end
    for (pipe, buffer) in [(out, stdout), (err, stderr)] {
        PipeDrain.start(pipe.fileHandleForReading, ended: { closed.add() }) { buffer.append($0) }
    }
    let started = ContinuousClock.now
    try process.run()
    let ended = await eventually(timeout: timeout, every: .milliseconds(10)) { !process.isRunning }
    let duration = ContinuousClock.now - started
    if !ended {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    _ = await eventually(timeout: .seconds(5), every: .milliseconds(10)) { closed.value == 2 }
    guard ended else { throw HarnessError("\(executable) \(arguments) did not end within \(timeout)") }
    return CommandResult(status: process.terminationStatus, stdout: stdout.text, stderr: stderr.text, duration: duration)
}

/// A counter shared with callbacks.
final class Tally: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// `name` looked up on PATH, as a shell would.
func onPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Interpreters the example workers need. Missing ones fail the tests (the
/// test command installs them: scripts/install-deps.sh).
enum Interpreters {
    /// The first of `python3` on PATH and Debian's /usr/bin/python3 that can import zmq.
    static func pythonWithZMQ() async throws -> String {
        var candidates = [onPath("python3"), "/usr/bin/python3"].compactMap { $0 }
        candidates = candidates.enumerated().filter { !candidates.prefix($0.offset).contains($0.element) }.map(\.element)
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            if try await runCommand(python, ["-c", "import zmq"]).status == 0 { return python }
        }
        throw HarnessError(
            "no python3 can import zmq (tried \(candidates)): install python3-zmq or pyzmq (scripts/install-deps.sh)")
    }

    /// `php` with the zmq and pcntl extensions.
    static func phpWithZMQ() async throws -> String {
        guard let php = onPath("php") else { throw HarnessError("php is not installed (php-cli; scripts/install-deps.sh)") }
        let check = try await runCommand(
            php,
            ["-r", #"echo class_exists("ZMQContext") ? "" : "zmq ", function_exists("pcntl_signal") ? "" : "pcntl";"#])
        let missing = check.stdout.trimmingCharacters(in: .whitespaces)
        guard check.status == 0, missing.isEmpty else {
            throw HarnessError("\(php) lacks the extension(s) \(missing) (php-zmq, php-cli; scripts/install-deps.sh)")
        }
        return php
    }
}

/// Watches the keep-alives of one task on the manager's internal port, as
/// anyone may (SPEC §2): a SUB socket whose messages wait in its queue until
/// `received()` reads them.
final class KeepAliveWatcher {
    private let context: ZMQContext
    private let socket: ZMQSocket
    private let topic: String
    private var seen: [KeepAliveMessage] = []

    init(_ endpoint: String, task: String) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(context, .sub)
        topic = task
        try socket.set(ZMQOption.receiveHighWaterMark, Int32(100_000))
        try socket.subscribe(Array(task.utf8))
        try socket.connect(endpoint)
    }

    deinit {
        socket.close()
        context.shutdown()
    }

    /// Every keep-alive of the task received so far.
    func received() throws -> [KeepAliveMessage] {
        while let message = try socket.receive(wait: false) {
            if case .success(let keepAlive) = KeepAliveMessage.decode(message.frames), keepAlive.taskName == topic {
                seen.append(keepAlive)
            }
        }
        return seen
    }
}

extension Manager {
    /// The manager's internal (watch) endpoint, from its start-up line.
    var internalKeepAliveEndpoint: String {
        let marker = "watchable on "
        guard let line = stderr.lines.first(where: { $0.contains(marker) }) else { return "" }
        return String(line.components(separatedBy: marker)[1].prefix { !$0.isWhitespace && $0 != "," })
    }

    /// `/tasks/NAME` as JSON.
    func taskJSON(_ task: String) async throws -> [String: Any] {
        try await json(.get, "/tasks/\(task)").json
    }

    /// The workers of `/tasks/NAME/list` as JSON, by pid.
    func workerEntries(_ task: String) async throws -> [pid_t: [String: Any]] {
        let workers = try await json(.get, "/tasks/\(task)/list").json["workers"] as? [[String: Any]] ?? []
        var byPid: [pid_t: [String: Any]] = [:]
        for worker in workers {
            if let pid = worker["pid"] as? Int { byPid[pid_t(pid)] = worker }
        }
        return byPid
    }
}
