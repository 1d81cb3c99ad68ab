import Foundation

extension Console {
    /// `tail [-f] [-n N] TASK...`: the last lines of every TASK of every
    /// manager, `[TASK PID] line` (`HOST: ` in front with several managers);
    /// without `-f` sorted by time, with `-f` as they arrive until Ctrl-C.
    func tail(tasks: [String], lines: Int, follow: Bool) async -> Result {
        let streams = hosts.flatMap { host in tasks.map { (host, $0) } }
        guard follow else {
            return await tailOnce(streams, lines: lines)
        }
        return await followAll(
            streams.map { host, task in
                FollowedStream(
                    host: host, path: Command.logsPath(task: task, lines: lines, follow: true),
                    opened: "following \(task) (Ctrl-C to stop)",
                    ended: "error: the manager ended the output stream of \(task)",
                    line: { data, prefix in TailLine.format(data, prefix: prefix, task: task) })
            }, stopped: "stopped following")
    }

    private func tailOnce(_ streams: [(HostAddress, String)], lines: Int) async -> Result {
        let (client, fleet) = (self.client, isFleet)
        let replies = await withTaskGroup(of: (Int, ManagerOutcome).self) { group in
            for (index, (host, task)) in streams.enumerated() {
                group.addTask {
                    let path = Command.logsPath(task: task, lines: lines, follow: false)
                    return (index, await client.send(ManagerRequest(method: .get, path: path), to: host))
                }
            }
            var replies = [ManagerOutcome?](repeating: nil, count: streams.count)
            for await (index, outcome) in group { replies[index] = outcome }
            return replies
        }
        var shown: [(time: String, line: OutputLine)] = []
        var failures: [OutputLine] = []
        for ((host, task), reply) in zip(streams, replies) {
            let reply = reply ?? .unreachable(reason: "no reply")
            guard reply.succeeded else {
                failures += ReplyFormatter.lines(reply, from: host, prefixed: fleet)
                continue
            }
            let prefix = fleet ? "\(host): " : ""
            for text in reply.bodyLines where !text.isEmpty {
                shown.append(TailLine.parse(text, prefix: prefix, task: task))
            }
        }
        // Stable: lines of the same second keep their order.
        let ordered = shown.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
        output.write(ordered.map(\.element.line) + failures)
        return failures.isEmpty ? .ok : .failed
    }
}

/// One output line of `GET /tasks/NAME/logs` for the operator.
enum TailLine {
    /// From the JSON of one SSE event: a line, or the count of lines lost.
    static func format(_ json: String, prefix: String, task: String) -> OutputLine {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return .out(prefix + "[\(task)] " + json)
        }
        if let lost = object["lines_lost"] as? Int {
            return .err(prefix + "\(task): \(lost) line(s) lost: the console did not keep up")
        }
        return line(object, prefix: prefix, task: task)
    }

    /// A line of the text reply, `TIME [PID] line`: its time, and the line to show.
    static func parse(_ text: String, prefix: String, task: String) -> (time: String, line: OutputLine) {
        guard let open = text.range(of: " ["), let close = text.range(of: "] ", range: open.upperBound..<text.endIndex)
        else { return ("", .out(prefix + "[\(task)] " + text)) }
        let time = String(text[..<open.lowerBound])
        let pid = text[open.upperBound..<close.lowerBound]
        return (time, .out(prefix + "[\(task) \(pid)] " + text[close.upperBound...]))
    }

    /// `[TASK PID] line`.
    static func line(_ object: [String: Any], prefix: String, task: String) -> OutputLine {
        let pid = (object["pid"] as? Int).map { " \($0)" } ?? ""
        return .out(prefix + "[\(object["task"] as? String ?? task)\(pid)] " + (object["line"] as? String ?? ""))
    }
}
