import ArgumentParser
import Foundation
import KeepAlive
import ZeroMQ

/// N workers, each beating once a second over its own ZeroMQ connection (the
/// benchmark holds one PUB socket per worker, each beating at its own
/// phase): the manager's CPU time (utime + stime) over the window.
struct IdleBench: Workload {
    static let name = "idle"
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "Manager CPU with 1000 workers beating once a second (target ≤ 3 % of one core).")

    @Option(help: "Workers in the pool.") var workers = 1000
    @Option(help: "Seconds measured.") var seconds = 30.0
    @Option(help: "stall_timeout in ms.") var stallTimeout = 5000
    @OptionGroup var output: OutputOptions

    func measure() throws -> WorkloadResult {
        let pool = try ManagedPool(workload: Self.name, cardinality: workers, autostart: true, stallTimeout: stallTimeout)
        defer { pool.stop() }
        let context = try ZMQContext()
        try context.set(ZMQContextOption.maxSockets, Int32(workers + 100))
        var sockets: [Int32: (socket: ZMQSocket, frames: [[UInt8]])] = [:]
        defer { sockets.values.forEach { $0.socket.close() } }
        // Each worker beats in the tenth of the second its pid picks.
        func beat(slice: Int32) throws {
            pool.workers.update()
            for pid in pool.workers.alive.keys where sockets[pid] == nil {
                let socket = try ZMQSocket(context, .pub)
                try socket.connect(pool.inbound)
                sockets[pid] = (socket, KeepAliveMessage(taskName: ManagedPool.task, pid: pid).frames())
            }
            for (pid, entry) in sockets where pid % 10 == slice {
                if pool.workers.alive[pid] == nil {
                    entry.socket.close()
                    sockets[pid] = nil
                } else {
                    try entry.socket.send(entry.frames)
                }
            }
        }
        func beat(for duration: Double) throws {
            let end = Date().addingTimeInterval(duration)
            var slice: Int32 = 0
            while Date() < end {
                try beat(slice: slice)
                slice = (slice + 1) % 10
                usleep(100_000)
            }
        }
        let upBy = Date().addingTimeInterval(120)
        while pool.workers.alive.count < workers {
            guard Date() < upBy else { throw BenchError("only \(pool.workers.alive.count) workers started") }
            try beat(for: 1)
        }
        try beat(for: 3)  // warm-up
        let (ticks0, t0, stalled0) = (ProcessStats.cpuTicks(of: pool.pid), monotonicNanos(), try pool.intStatus("stalled_workers"))
        try beat(for: seconds)
        let (ticks1, t1) = (ProcessStats.cpuTicks(of: pool.pid), monotonicNanos())
        let status = try pool.status()
        let cpu = Double(ticks1 - ticks0) / ProcessStats.ticksPerSecond / (Double(t1 - t0) / 1e9) * 100
        let stalled = (status["stalled_workers"] as? Int ?? 0) - stalled0
        let memory = ProcessStats.memory(of: pool.pid)
        return WorkloadResult(
            workload: Self.name,
            figures: [
                Figure(
                    workload: Self.name, name: "manager CPU, \(workers) workers beating 1/s", value: cpu, unit: "%",
                    target: "≤ 3 % of one core", met: cpu <= 3 && stalled == 0),
                // Each worker's own connection costs libzmq buffers: not the memory workload's idle pool.
                Figure(
                    workload: Self.name, name: "manager RSS then (a connection per worker)",
                    value: Double(memory.rssKiB) / 1024, unit: "MiB"),
                Figure(
                    workload: Self.name, name: "its anonymous memory", value: Double(memory.anonymousKiB) / 1024,
                    unit: "MiB"),
            ],
            details: [
                "workers": workers, "seconds": seconds, "cpu_ticks": ticks1 - ticks0,
                "stalled_during_window": stalled, "active_workers": status["active_workers"] ?? 0,
                "keepalives_received": status["keepalives_received"] ?? 0, "memory_at_end": memory.json,
            ])
    }
}
