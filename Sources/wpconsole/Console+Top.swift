import Foundation

extension Console {
    /// `top`: on a terminal, a full screen refreshed every second until `q`
    /// or Ctrl-C (the terminal is restored either way); otherwise one
    /// snapshot (two samples a second apart, for the CPU %) as plain lines.
    func top() async -> Result {
        var sampler = TopSampler(client: client, hosts: hosts)
        guard let terminal = RawTerminal() else {
            _ = await sampler.sample()
            try? await Task.sleep(for: .seconds(1))
            let view = await sampler.sample()
            output.write(view.lines(width: .max, height: .max).map(OutputLine.out))
            return view.managers.allSatisfy { $0.problem == nil } ? .ok : .failed
        }
        defer { terminal.restore() }
        var sort = TopView.SortKey.cpu
        while !Task.isCancelled {
            var view = await sampler.sample()
            let due = ContinuousClock.now + .seconds(1)
            while !Task.isCancelled {
                view.sort = sort
                let size = terminal.size
                terminal.draw(view.lines(width: size.width, height: size.height))
                guard ContinuousClock.now < due else { break }
                for key in terminal.keys(within: 100) {
                    switch key {
                    case UInt8(ascii: "q"), UInt8(ascii: "Q"): return .ok
                    case UInt8(ascii: "c"), UInt8(ascii: "C"): sort = .cpu
                    case UInt8(ascii: "m"), UInt8(ascii: "M"): sort = .memory
                    case UInt8(ascii: "p"), UInt8(ascii: "P"): sort = .pid
                    default: break
                    }
                }
                if ContinuousClock.now >= due { break }
            }
        }
        return .ok
    }
}

/// Asks every manager for its running tasks and their workers (JSON), and
/// works out each worker's CPU % from the previous sample.
struct TopSampler {
    let client: ManagerClient
    let hosts: [HostAddress]
    private var previous: [String: (seconds: Double, at: ContinuousClock.Instant)] = [:]

    init(client: ManagerClient, hosts: [HostAddress]) {
        self.client = client
        self.hosts = hosts
    }

    mutating func sample() async -> TopView {
        let client = self.client
        let managers = await withTaskGroup(of: (Int, TopView.Manager).self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask { (index, await Self.manager(host, client: client)) }
            }
            var managers = [TopView.Manager?](repeating: nil, count: hosts.count)
            for await (index, manager) in group { managers[index] = manager }
            return managers.compactMap { $0 }
        }
        let now = ContinuousClock.now
        var next: [String: (seconds: Double, at: ContinuousClock.Instant)] = [:]
        var view = TopView(managers: managers, sort: .cpu, now: Date())
        for m in view.managers.indices {
            for t in view.managers[m].tasks.indices {
                for w in view.managers[m].tasks[t].workers.indices {
                    let worker = view.managers[m].tasks[t].workers[w]
                    guard let seconds = worker.cpuSeconds else { continue }
                    let key = "\(view.managers[m].host) \(worker.pid)"
                    if let before = previous[key] {
                        let elapsed = Double((now - before.at).components.attoseconds) / 1e18
                            + Double((now - before.at).components.seconds)
                        if elapsed > 0 {
                            view.managers[m].tasks[t].workers[w].cpuPercent = max(0, (seconds - before.seconds) * 100 / elapsed)
                        }
                    }
                    next[key] = (seconds, now)
                }
            }
        }
        previous = next
        return view
    }

    private static func manager(_ host: HostAddress, client: ManagerClient) async -> TopView.Manager {
        let reply = await client.send(ManagerRequest(method: .get, path: "/tasks?format=json"), to: host)
        guard case .reply(let status, let body) = reply else {
            if case .unreachable(let reason) = reply { return .init(host: "\(host)", problem: reason, tasks: []) }
            return .init(host: "\(host)", problem: "no reply", tasks: [])
        }
        guard (200..<300).contains(status), let tasks = json(body)?["tasks"] as? [[String: Any]] else {
            let message = (json(body)?["error"] as? String) ?? "HTTP \(status)"
            return .init(host: "\(host)", problem: message, tasks: [])
        }
        var rows: [TopView.TaskRow] = []
        for task in tasks {
            guard let name = task["name"] as? String else { continue }
            let path = "/tasks/\(Command.percentEncoded(name))/list?format=json"
            let list = await client.send(ManagerRequest(method: .get, path: path), to: host)
            var workers: [TopView.Worker] = []
            if case .reply(200, let body) = list, let items = json(body)?["workers"] as? [[String: Any]] {
                workers = items.map { item in
                    TopView.Worker(
                        pid: item["pid"] as? Int ?? 0, startedAt: date(item["started_at"]),
                        lastAliveAt: date(item["last_alive_at"]), state: item["state"] as? String ?? "?",
                        status: item["status"] as? String, job: item["job"] as? String,
                        cpuSeconds: (item["cpu_seconds"] as? NSNumber)?.doubleValue, rssBytes: item["rss_bytes"] as? Int)
                }
            }
            rows.append(
                .init(
                    name: name, active: task["active_workers"] as? Int ?? 0, cardinality: task["cardinality"] as? Int ?? 0,
                    workers: workers))
        }
        return .init(host: "\(host)", problem: nil, tasks: rows)
    }

    private static func json(_ body: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    }

    private static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        return ISO8601DateFormatter().date(from: text)
    }
}
