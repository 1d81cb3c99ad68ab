import ArgumentParser
import Foundation

/// Several publisher processes send valid keep-alives for live workers at
/// increasing rates; per step, the rate the manager counts while they send
/// (its `keepalives_received`), and whether any worker was stalled anyway.
struct IngestBench: Workload {
    static let name = "ingest"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "Sustained keep-alives per second with no false stall (target ≥ 200 000/s).")

    @Option(help: "Workers in the pool.") var workers = 100
    @Option(help: "Publisher processes.") var publishers = 4
    @Option(help: "Offered rates in messages per second, separated by commas.") var rates = "100000,200000,400000,600000,800000"
    @Option(help: "Seconds per rate.") var seconds = 4.0
    @Option(help: "stall_timeout in ms.") var stallTimeout = 3000
    @OptionGroup var output: OutputOptions

    struct Step {
        var offered: Double
        var counted: Double
        var sent = 0
        var receivedInStep = 0
        var falseStalls = 0
        var json: [String: Any] {
            ["offered_per_s": offered, "counted_per_s": counted, "sent": sent, "received": receivedInStep,
             "false_stalls": falseStalls]
        }
    }

    func measure() throws -> WorkloadResult {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true, stallTimeout: stallTimeout)
        defer { pool.stop() }
        _ = try pool.workers.waitForStarts(workers)
        let pids = pool.workers.alive.keys.map(String.init)
        // A slow publisher beats every worker all along, also between steps.
        let keeper = try publisher(pool, pids: pids, rate: Double(workers * 4), seconds: 3600)
        defer { finish(keeper) }
        var steps: [Step] = []
        for rate in rates.split(separator: ",").compactMap({ Double($0) }) {
            let step = try runStep(pool, pids: pids, rate: rate)
            steps.append(step)
            if step.falseStalls > 0 || step.counted < 0.8 * step.offered { break }
        }
        let sustained = steps.filter { $0.falseStalls == 0 }.map(\.counted).max() ?? 0
        return WorkloadResult(
            workload: Self.name,
            figures: [
                Figure(
                    workload: Self.name, name: "keep-alives counted per second, \(publishers) publishers",
                    value: sustained, unit: "/s", target: "≥ 200000 /s", met: sustained >= 200_000)
            ],
            details: ["workers": workers, "publishers": publishers, "seconds_per_step": seconds,
                      "steps": steps.map(\.json)])
    }

    private func runStep(_ pool: ManagedPool, pids: [String], rate: Double) throws -> Step {
        let stalledBefore = try pool.intStatus("stalled_workers")
        let receivedBefore = try pool.intStatus("keepalives_received")
        // Pids dealt round robin to the publishers.
        let running = try (0..<publishers).map { index in
            let mine = pids.enumerated().filter { $0.offset % publishers == index }.map(\.element)
            return try publisher(pool, pids: mine, rate: rate / Double(publishers), seconds: seconds)
        }
        defer { running.forEach(finish) }
        // The window: from 1 s in to 0.5 s before the end.
        usleep(1_000_000)
        let (t0, r0) = (monotonicNanos(), try pool.intStatus("keepalives_received"))
        usleep(UInt32((seconds - 1.5) * 1_000_000))
        let (t1, r1) = (monotonicNanos(), try pool.intStatus("keepalives_received"))
        var step = Step(offered: rate, counted: Double(r1 - r0) / (Double(t1 - t0) / 1e9))
        for process in running {
            process.process.wait()
            let text = (try? String(contentsOfFile: process.out, encoding: .utf8)) ?? ""
            step.sent += Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        usleep(500_000)  // what is still queued
        step.receivedInStep = try pool.intStatus("keepalives_received") - receivedBefore
        step.falseStalls = try pool.intStatus("stalled_workers") - stalledBefore
        progress(String(format: "ingest: offered %.0f/s, counted %.0f/s, sent %d, received %d, false stalls %d",
                     step.offered, step.counted, step.sent, step.receivedInStep, step.falseStalls))
        return step
    }

    struct Publisher {
        let process: TrackedProcess
        let out: String
    }

    private func publisher(_ pool: ManagedPool, pids: [String], rate: Double, seconds: Double) throws -> Publisher {
        let out = pool.scratch.path + "/publisher-\(UUID().uuidString)"
        let process = try TrackedProcess(
            binDirectory + "/wpm-bench",
            [
                "publish", "--endpoint", pool.inbound, "--task", ManagedPool.task, "--pids", pids.joined(separator: ","),
                "--rate", String(rate), "--seconds", String(seconds),
            ], output: out)
        return Publisher(process: process, out: out)
    }

    private func finish(_ publisher: Publisher) {
        publisher.process.stop()
    }
}
