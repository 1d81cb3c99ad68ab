import Foundation

/// A real Prometheus server (Debian's `prometheus`) for a test: its config
/// and its storage in the workspace, listening on 127.0.0.1 at a port the OS
/// picks (found in /proc), carrying the workspace's tag. `stop()` ends it.
final class PrometheusServer: @unchecked Sendable {
    let process = Process()
    let workspace: Workspace
    let stderr = OutputBuffer()
    private(set) var port = 0

    /// Scrapes `targets` (`host:port`) as the job `wpm` every `interval`,
    /// evaluating `ruleFiles` as often.
    init(_ workspace: Workspace, targets: [String], interval: String = "1s", ruleFiles: [String]) throws {
        guard let binary = onPath("prometheus") else {
            throw HarnessError("prometheus is missing (Debian's prometheus; scripts/install-deps.sh installs it)")
        }
        self.workspace = workspace
        let directory = workspace.path + "/prometheus"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: \(interval)
              scrape_timeout: \(interval)
              evaluation_interval: \(interval)
            rule_files:
            \(ruleFiles.map { "  - \"\($0)\"" }.joined(separator: "\n"))
            scrape_configs:
              - job_name: wpm
                static_configs:
                  - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]
            """
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:0", "--log.level=warn",
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["WPMTEST_TAG"] = workspace.tag
        process.environment = environment
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let buffer = stderr
        PipeDrain.start(err.fileHandleForReading) { buffer.append($0) }
        try process.run()
    }

    /// Waits until it listens and answers that it is ready.
    func waitUntilReady() async throws {
        let found = await eventually(timeout: .seconds(60)) { [self] in
            if !process.isRunning { return true }
            port = Self.listeningPort(of: process.processIdentifier) ?? 0
            return port != 0
        }
        guard found, process.isRunning else { throw HarnessError("prometheus did not start listening:\n\(stderr.text)") }
        let ready = await eventually(timeout: .seconds(60)) { [self] in
            (try? await get("/-/ready").status) == 200
        }
        guard ready else { throw HarnessError("prometheus did not become ready:\n\(stderr.text)") }
    }

    /// The TCP port a process listens on, from its sockets in /proc.
    static func listeningPort(of pid: pid_t) -> Int? {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let inodes = Set(
            fds.compactMap { fd -> String? in
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    link.hasPrefix("socket:[")
                else { return nil }
                return String(link.dropFirst(8).dropLast())
            })
        guard let table = try? String(contentsOfFile: "/proc/\(pid)/net/tcp", encoding: .utf8) else { return nil }
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // local_address, rem_address, st (0A: LISTEN) ... inode
            guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])) else { continue }
            return Int(fields[1].split(separator: ":")[1], radix: 16)
        }
        return nil
    }

    /// A GET with curl (Prometheus, a Go server, wants a `Host` header that
    /// the test client does not send); `form` is sent URL-encoded as the query.
    func get(_ path: String, form: [String: String] = [:]) async throws -> Reply {
        guard let curl = onPath("curl") else { throw HarnessError("curl is missing (scripts/install-deps.sh installs it)") }
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10", "-G"]
        for (key, value) in form { arguments += ["--data-urlencode", "\(key)=\(value)"] }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let result = try await runCommand(curl, arguments)
        let body = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().joined(separator: "\n")
        let code = Int(result.stdout.split(separator: "\n").last ?? "") ?? 0
        return Reply(status: code, body: body, headers: [:])
    }

    /// An instant query through the HTTP API: each series' labels and value.
    func query(_ promql: String) async throws -> [(labels: [String: String], value: Double)] {
        let reply = try await get("/api/v1/query", form: ["query": promql])
        guard reply.status == 200, reply.json["status"] as? String == "success",
            let result = (reply.json["data"] as? [String: Any])?["result"] as? [[String: Any]]
        else { throw HarnessError("query \(promql) failed: \(reply.status) \(reply.body)") }
        return result.map { series in
            let labels = series["metric"] as? [String: String] ?? [:]
            let value = ((series["value"] as? [Any])?.last as? String).flatMap(Double.init) ?? .nan
            return (labels, value)
        }
    }

    /// The value of a query that gives one series, if it does.
    func scalar(_ promql: String) async throws -> Double? {
        let result = try await query(promql)
        return result.count == 1 ? result[0].value : nil
    }

    /// SIGTERM, then SIGKILL if it does not end; waits for it.
    func stop() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !(await eventually(timeout: .seconds(30)) { [self] in !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            _ = await eventually(timeout: .seconds(10)) { [self] in !process.isRunning }
        }
    }
}
