import Foundation
import Testing

/// A client of `GET /events`: curl, reading the stream as it comes (headers
/// included), so the tests see what any SSE client sees.
final class EventWatcher: @unchecked Sendable {
    let process = Process()
    let output = OutputBuffer()

    /// Connects to `m`'s `/events` + `query` and waits for the greeting
    /// comment (the subscription then exists) unless `waitForGreeting` is false.
    init(_ m: Manager, path: String = "/events", query: String = "") throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "curl", "-sS", "-N", "-i", "--noproxy", "*", "-H", "Accept: text/event-stream",
            "http://\(m.host):\(m.port)\(path)\(query)",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["WPMTEST_TAG"] = m.workspace.tag
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let output = self.output
        PipeDrain.start(out.fileHandleForReading) { output.append($0) }
        try process.run()
    }

    static func connect(
        _ m: Manager, path: String = "/events", query: String = "", greeting: String = ": wpm events\n\n"
    ) async throws -> EventWatcher {
        let watcher = try EventWatcher(m, path: path, query: query)
        guard await eventually({ watcher.body.hasPrefix(greeting) || !watcher.process.isRunning }),
            watcher.process.isRunning
        else {
            watcher.stop()
            throw HarnessError("no event stream:\n\(watcher.output.text)")
        }
        return watcher
    }

    /// The response head (status line and headers).
    var head: String { output.text.components(separatedBy: "\r\n\r\n").first ?? "" }
    /// Everything after the head.
    var body: String {
        let parts = output.text.components(separatedBy: "\r\n\r\n")
        return parts.count > 1 ? parts.dropFirst().joined(separator: "\r\n\r\n") : ""
    }

    /// The events so far, each the JSON object of its `data:` line, with its `id:`.
    var events: [[String: Any]] {
        body.components(separatedBy: "\n\n").compactMap { block in
            var id: Int?
            var object: [String: Any]?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("data: ") {
                    object = (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any]
                }
            }
            guard var object else { return nil }
            object["id"] = id
            return object
        }
    }

    var types: [String] { events.compactMap { $0["type"] as? String } }

    /// Waits until the events satisfy `condition`; records the stream when they never do.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: ([[String: Any]]) -> Bool
    ) async -> Bool {
        let held = await eventually(timeout: timeout) { condition(events) }
        #expect(held, "never: \(what)\n\(body)", sourceLocation: sourceLocation)
        return held
    }

    /// Ends curl with SIGKILL: it inherits the test thread's signal mask,
    /// which may block SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
    }
}

extension [[String: Any]] {
    /// The events of `type` (and of worker `pid`, when given).
    func of(_ type: String, pid: pid_t? = nil) -> [[String: Any]] {
        filter { $0["type"] as? String == type && (pid == nil || $0["pid"] as? Int == Int(pid!)) }
    }

    /// Where the first event of `type` (of `pid`) is.
    func index(of type: String, pid: pid_t? = nil) -> Int? {
        firstIndex { $0["type"] as? String == type && (pid == nil || $0["pid"] as? Int == Int(pid!)) }
    }
}
