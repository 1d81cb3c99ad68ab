import ArgumentParser
import Foundation

/// wpm, supervisord, circus and the bare baseline on the same workloads in
/// one run, the repetitions interleaved (each round runs every manager, in
/// an order that turns round by round): cold spawn of 100 and 1000 workers,
/// respawn after SIGKILL, stop all, idle memory and CPU with 1000 workers,
/// the 100 workers' status through each one's CLI and API, a crash-looping
/// program, and stopping workers that ignore SIGTERM. scripts/bench.sh
/// --peers makes the virtual environment (`--venv`) and the chart.
struct PeersBench: Workload {
    static let name = "peers"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "wpm against supervisord and circus (from --venv) and the bare baseline, in one run and one table.")

    @Option(help: "Virtual environment with supervisord, circusd and their CLIs in bin/.") var venv = ".build/bench-venv"
    @Option(help: "Rounds (every manager once per round; medians reported).") var repeats = 3
    @Option(help: "Workers SIGKILLed per manager per round (respawn).") var kills = 5
    @Option(help: "Seconds the idle CPU is measured (first round only).") var idleSeconds = 30.0
    @Option(help: "Seconds the crash-looping program runs under each manager.") var crashSeconds = 60.0
    @Option(help: "CLI runs per manager per round.") var cliRuns = 10
    @Option(help: "API calls per manager per round.") var apiCalls = 50
    @Option(help: "Grace period before SIGKILL (ms) for workers that ignore SIGTERM.") var grace = 2000
    @Option(help: "Only these managers, separated by commas.") var managers = "wpm,supervisord,circus,baseline"
    @OptionGroup var output: OutputOptions

    private var kinds: [PeerKind] { managers.split(separator: ",").compactMap { PeerKind(rawValue: String($0)) } }

    func validate() throws {
        for name in managers.split(separator: ",") where PeerKind(rawValue: String(name)) == nil {
            throw ValidationError("unknown manager \"\(name)\"; known: wpm, supervisord, circus, baseline")
        }
        for tool in ["supervisord", "supervisorctl", "circusd", "circusctl", "python"]
        where !FileManager.default.isExecutableFile(atPath: "\(venv)/bin/\(tool)") {
            throw ValidationError("no \(venv)/bin/\(tool): run scripts/bench.sh --peers (it makes the venv)")
        }
        guard repeats > 0, kills >= 0, idleSeconds > 0, crashSeconds > 0, cliRuns > 0, apiCalls > 0, grace > 0 else {
            throw ValidationError("counts and durations must be positive")
        }
    }

    /// Samples per figure per manager.
    final class Samples {
        var values: [String: [PeerKind: [Double]]] = [:]
        var units: [String: String] = [:]
        var order: [String] = []
        var notes: [String: [PeerKind: String]] = [:]

        func add(_ figure: String, _ unit: String, _ kind: PeerKind, _ value: [Double]) {
            if units[figure] == nil { order.append(figure) }
            units[figure] = unit
            values[figure, default: [:]][kind, default: []] += value
        }
    }

    func run() throws {
        defer { Cleanup.terminateAll() }
        let (result, rows) = try measureTable()
        Report.printResults([result])
        print("")
        printTable(rows)
        try Report.write([result], to: output.json ?? "bench-\(Self.name).json")
    }

    func measure() throws -> WorkloadResult { try measureTable().0 }

    private func measureTable() throws -> (WorkloadResult, [[String]]) {
        let samples = Samples()
        let venv = URL(fileURLWithPath: self.venv).standardizedFileURL.path
        for round in 0..<repeats where !Cleanup.isStopping {
            let order = kinds.indices.map { kinds[($0 + round) % kinds.count] }
            for kind in order {
                progress("== peers round \(round + 1)/\(repeats): \(kind)")
                attempt(kind, "100 workers", samples) { try hundred(kind, venv: venv, samples) }
                attempt(kind, "1000 workers", samples) { try thousand(kind, venv: venv, idle: round == 0, samples) }
                attempt(kind, "ignoring SIGTERM", samples) { try ignoringTerm(kind, venv: venv, samples) }
            }
        }
        // Not the baseline: it respawns at once, forever (about a thousand
        // spawns a second on two cores, cycling through every pid).
        if kinds.contains(.baseline) {
            samples.notes["crash loop: state after \(Int(crashSeconds)) s", default: [:]][.baseline] = "not run (respawns at once, forever)"
        }
        for kind in kinds where kind != .baseline && !Cleanup.isStopping {
            progress("== peers crash loop (\(crashSeconds) s): \(kind)")
            attempt(kind, "crash loop", samples) { try crashLoop(kind, venv: venv, samples) }
        }
        return table(samples)
    }

    /// Runs one part; a failure is noted in the table (and the run goes on).
    private func attempt(_ kind: PeerKind, _ part: String, _ samples: Samples, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            progress("== peers: \(kind), \(part) failed: \(error)")
            let old = samples.notes["failures", default: [:]][kind].map { $0 + "; " } ?? ""
            samples.notes["failures", default: [:]][kind] = old + "\(part): \(error)".prefix(200)
        }
    }

    /// 100 workers: cold spawn, respawns after SIGKILL, status by CLI and API, stop all.
    private func hundred(_ kind: PeerKind, venv: String, _ samples: Samples) throws {
        let run = try PeerRun(kind, count: 100, venv: venv)
        defer { run.stop() }
        samples.add("cold spawn, 100 workers", "ms", kind, [try run.coldSpawn()])
        if kills > 0 { samples.add("respawn after SIGKILL (p50)", "ms", kind, try respawns(run)) }
        if let cli = run.listCommand {
            if kind == .wpm || kind == .supervisord || kind == .circus {
                _ = try timedRun(cli)
                let times = try (0..<cliRuns).map { _ in try timedRun(cli).ms }
                samples.add("status of 100 workers, own CLI (p50)", "ms", kind, times)
            }
            samples.add("status of 100 workers, API (p50)", "ms", kind, try apiTimes(run, venv: venv))
        }
        samples.add("stop all, 100 workers", "ms", kind, [try run.stopAll()])
    }

    /// 1000 workers: cold spawn, (first round) idle CPU and memory, stop all.
    private func thousand(_ kind: PeerKind, venv: String, idle: Bool, _ samples: Samples) throws {
        let run = try PeerRun(kind, count: 1000, venv: venv)
        defer { run.stop() }
        samples.add("cold spawn, 1000 workers", "ms", kind, [try run.coldSpawn()])
        if idle {
            sleep(3)
            let (ticks0, t0) = (ProcessStats.cpuTicks(of: run.pid), monotonicNanos())
            usleep(useconds_t(idleSeconds * 1_000_000))
            let (ticks1, t1) = (ProcessStats.cpuTicks(of: run.pid), monotonicNanos())
            let cpu = Double(ticks1 - ticks0) / ProcessStats.ticksPerSecond / (Double(t1 - t0) / 1e9) * 100
            let memory = ProcessStats.memory(of: run.pid)
            samples.add("idle CPU, 1000 workers", "% core", kind, [cpu])
            samples.add("RSS, 1000 workers", "MiB", kind, [Double(memory.rssKiB) / 1024])
            samples.add("anonymous memory, 1000 workers", "MiB", kind, [Double(memory.anonymousKiB) / 1024])
        }
        samples.add("stop all, 1000 workers", "ms", kind, [try run.stopAll()])
    }

    /// 100 workers that ignore SIGTERM: stop all (grace period, then SIGKILL).
    private func ignoringTerm(_ kind: PeerKind, venv: String, _ samples: Samples) throws {
        let run = try PeerRun(kind, count: 100, mode: "ignore-term", graceMS: grace, venv: venv)
        defer { run.stop() }
        _ = try run.coldSpawn()
        samples.add("stop all, 100 ignoring SIGTERM (grace \(grace) ms)", "ms", kind, [try run.stopAll()])
    }

    /// A program that exits 1 at once: spawns per second, and what the manager says after.
    private func crashLoop(_ kind: PeerKind, venv: String, _ samples: Samples) throws {
        let run = try PeerRun(kind, count: 1, mode: "crash", venv: venv)
        defer { run.stop() }
        usleep(useconds_t(crashSeconds * 1_000_000))
        let spawns = run.workers.update().filter(\.start).count
        samples.add("crash loop: spawns per second", "1/s", kind, [Double(spawns) / crashSeconds])
        samples.notes["crash loop: state after \(Int(crashSeconds)) s", default: [:]][kind] = run.state()
        _ = try run.stopAll()
    }

    /// Kills old workers one by one; the delay of each replacement in ms.
    private func respawns(_ run: PeerRun) throws -> [Double] {
        var result: [Double] = []
        let giveUp = Date().addingTimeInterval(120)
        while result.count < kills {
            guard Date() < giveUp else { throw BenchError("\(run.kind): only \(result.count) respawns in 120 s") }
            run.workers.update()
            let old = run.workers.alive.filter { monotonicNanos() - $0.value > 1_200_000_000 }
            guard let victim = old.keys.randomElement() else {
                usleep(100_000)
                continue
            }
            let start = monotonicNanos()
            kill(victim, SIGKILL)
            run.workers.forget(victim)
            let deadline = Date().addingTimeInterval(30)
            var replaced: Int64?
            while replaced == nil {
                replaced = run.workers.update().first(where: \.start)?.ns
                if replaced == nil {
                    guard Date() < deadline else { throw BenchError("\(run.kind): no replacement for \(victim) in 30 s") }
                    usleep(200)
                }
            }
            result.append(milliseconds(start, replaced!))
            usleep(20_000)
        }
        return result
    }

    /// The API calls timed by Benchmarks/peers/peer_api.py (the same Python client for all).
    private func apiTimes(_ run: PeerRun, venv: String) throws -> [Double] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("peers/peer_api.py").path
        let out = run.scratch.path + "/api.out", err = run.scratch.path + "/api.err"
        let client = try TrackedProcess(
            venv + "/bin/python", [script, run.kind.rawValue, run.apiTarget, String(apiCalls)], output: out, error: err)
        client.wait()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard client.process.terminationStatus == 0,
            let times = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Double]
        else {
            let problem = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw BenchError("\(run.kind): peer_api.py failed: \(text.suffix(500)) \(problem.suffix(1000))")
        }
        return times
    }

    /// The figures (wpm against the baseline, for Report) and the peers table.
    private func table(_ samples: Samples) -> (WorkloadResult, [[String]]) {
        let all = PeerKind.allCases.filter(kinds.contains)
        var rows = [["figure"] + all.map(\.rawValue) + ["wpm/baseline", "supervisord/wpm", "circus/wpm"]]
        var figures: [Figure] = []
        var json: [[String: Any]] = []
        for name in samples.order {
            let unit = samples.units[name]!
            var values: [PeerKind: Double] = [:]
            for (kind, list) in samples.values[name]! { values[kind] = median(list) }
            func ratio(_ a: PeerKind, _ b: PeerKind) -> String {
                guard let x = values[a], let y = values[b], y > 0 else { return "" }
                return String(format: "%.2f×", x / y)
            }
            rows.append(
                ["\(name) [\(unit)]"] + all.map { values[$0].map(Report.format) ?? "" }
                    + [ratio(.wpm, .baseline), ratio(.supervisord, .wpm), ratio(.circus, .wpm)])
            if let wpm = values[.wpm] {
                figures.append(Figure(workload: Self.name, name: name, value: wpm, unit: unit, baseline: values[.baseline]))
            }
            json.append([
                "figure": name, "unit": unit,
                "values": Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) }),
                "samples": Dictionary(uniqueKeysWithValues: samples.values[name]!.map { ($0.key.rawValue, $0.value) }),
            ])
        }
        for (name, notes) in samples.notes.sorted(by: { $0.key < $1.key }) {
            rows.append([name] + all.map { notes[$0] ?? "" } + ["", "", ""])
            json.append(["figure": name, "unit": "", "values": [:] as [String: Double],
                         "notes": Dictionary(uniqueKeysWithValues: notes.map { ($0.key.rawValue, $0.value) })])
        }
        let details: [String: Any] = [
            "table": json, "repeats": repeats, "kills_per_round": kills, "idle_seconds": idleSeconds,
            "crash_seconds": crashSeconds, "grace_ms": grace, "venv": venv,
        ]
        return (WorkloadResult(workload: Self.name, figures: figures, details: details), rows)
    }
}
